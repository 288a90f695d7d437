"""lambdify: the generated NumPy code agrees with itself, with a hand-written back-prop and with
autograd, for any number of samples; it stays finite at |Z| = 1000; its source is what runs."""
import re
import warnings
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from helpers import assert_gradients_close, planted

from symbackprop import Network, SpecError, derive, lambdify
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.model.losses import LOSSES
from symbackprop.model.stable import Expit, LogSumExp, Softplus
from symbackprop.numeric import handwritten
from symbackprop.numeric.arrays import random_data, random_params
from symbackprop.numeric.codegen import compile_function
from symbackprop.symbolic.forward import ForwardPass

NETWORKS = {
    "2-3-1 sigmoid mse": Network(sizes=(2, 3, 1)),
    "3-4-2 tanh/softplus mse, decay": Network(sizes=(3, 4, 2), activations=("tanh", "softplus"), weight_decay=0.1),
    "3-4-3 relu softmax cce": Network(sizes=(3, 4, 3), activations=("relu", "softmax"), loss="cce"),
    "2-3-2 softplus sigmoid bce": Network(sizes=(2, 3, 2), activations=("softplus", "sigmoid"), loss="bce"),
    "2-3-3 identity softmax bce": Network(sizes=(2, 3, 3), activations=("identity", "softmax"), loss="bce"),
    "2-3-3 sigmoid softmax mse": Network(sizes=(2, 3, 3), activations=("sigmoid", "softmax"), loss="mse"),
    "3-layer 2-3-4-2 tanh,relu,sigmoid bce, decay 1/2":
        Network(sizes=(2, 3, 4, 2), activations=("tanh", "relu", "sigmoid"), loss="bce", weight_decay=Fraction(1, 2)),
}
ROUTES = ("direct", "delta", "matrix")


@pytest.fixture(scope="module")
def built():
    return {name: lambdify(net).build() for name, net in NETWORKS.items()}


@pytest.mark.parametrize("m", [1, 3, 64])
@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_route_agrees_with_the_hand_written_back_prop(built, name, m):
    net, f = NETWORKS[name], built[name]
    rng = np.random.default_rng(m)
    params = random_params(net, rng)
    X, Y = random_data(net, m, rng)
    reference = handwritten.gradient(net, params, X, Y)
    for route in ROUTES:
        assert_gradients_close(f.gradient(params, X, Y, route=route), reference, rtol=1e-12, what=route)
    assert f.loss(params, X, Y) == pytest.approx(handwritten.loss(net, params, X, Y), rel=1e-13)


@pytest.mark.parametrize("name", list(NETWORKS))
def test_autograd_agrees_with_the_matrix_route(built, name):
    from symbackprop.numeric import autodiff  # autograd is a test dependency: no skip
    net, f = NETWORKS[name], built[name]
    rng = np.random.default_rng(7)
    params = random_params(net, rng)
    X, Y = random_data(net, 5, rng)
    assert_gradients_close(f.gradient(params, X, Y), autodiff.gradient("autograd", net, params, X, Y,
                                                                         float(net.weight_decay)), rtol=1e-12)


def test_the_checker_of_agreement_fails_on_a_slip():
    """assert_gradients_close is the judge of every test here: it must say no to a 1e-10 slip."""
    g = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.5])}
    slipped = {"W1": np.array([[1.0, 2.0 + 1e-10]]), "b1": np.array([0.5])}
    with pytest.raises(AssertionError, match=r"W1\[1,2\]"):
        assert_gradients_close(slipped, g, rtol=1e-12)


def test_a_batch_is_the_mean_of_its_parts():
    """E is a mean over samples: the gradient over X = [X1 X2] is the sample-weighted mean of the two."""
    net = NETWORKS["3-4-3 relu softmax cce"]
    f = lambdify(net)
    rng = np.random.default_rng(3)
    params = random_params(net, rng)
    X, Y = random_data(net, 10, rng)
    for route in ROUTES:
        whole = f.gradient(params, X, Y, route=route)
        first, second = (f.gradient(params, X[:, s], Y[:, s], route=route) for s in (slice(0, 3), slice(3, 10)))
        assert_gradients_close(whole, {k: (3 * first[k] + 7 * second[k]) / 10 for k in whole}, rtol=1e-12)


def test_routes_match_sympy_on_the_naive_formula_where_it_is_finite():
    """At moderate Z the stable code and SymPy's own lambdify of the fully substituted E and ∂E
    (batch 2, the naive textbook formulas) agree to 1e-13."""
    net = Network(sizes=(2, 2, 2), activations=("softplus", "sigmoid"), loss="bce", batch=2, weight_decay=0.25)
    d = derive(net)
    f = lambdify(d)
    rng = np.random.default_rng(11)
    params = random_params(net, rng)
    X, Y = random_data(net, 2, rng)
    values = _values(d, params, X, Y)
    naive_E = float(d.chain.substituted_error.evalf(30, subs=values))
    assert f.loss(params, X, Y) == pytest.approx(naive_E, rel=1e-13)
    naive = f.unflatten(np.array([float(d.substituted_partial(p).evalf(30, subs=values)) for p in d.parameters]))
    for route in ROUTES:
        assert_gradients_close(f.gradient(params, X, Y, route=route), naive, rtol=1e-12, what=route)


def _values(d, params, X, Y) -> dict:
    fp = d.forward
    out = {}
    for l in fp.layers:
        out.update({s: v for s, v in zip(fp.W[l], params[f"W{l}"].ravel(), strict=True)})
        out.update({s: v for s, v in zip(fp.b[l], params[f"b{l}"], strict=True)})
    out.update({s: v for s, v in zip(fp.X, X.ravel(), strict=True)})
    out.update({s: v for s, v in zip(fp.Y, Y.ravel(), strict=True)})
    return out


# ---- stability at |Z| = 1000

SATURATING = [
    Network(sizes=(2, 4, 1), activations=(hidden, "sigmoid"), loss=loss)
    for hidden in ("sigmoid", "tanh", "softplus", "relu", "identity") for loss in ("mse", "bce")
] + [
    Network(sizes=(2, 4, 3), activations=(hidden, "softmax"), loss="cce") for hidden in ("sigmoid", "softplus")
] + [Network(sizes=(2, 4, 1), activations=("sigmoid", out)) for out in ("tanh", "softplus", "identity")]


def _saturating_params(net: Network) -> dict:
    """Every hidden unit at Z = ±1000 and every output at Z within ±1000 of 0 (rows of W2 differ,
    so that no gradient is 0 by cancellation)."""
    n0, n1, n2 = net.sizes
    i, j = np.indices((n2, n1))
    W2 = (-1.0) ** (i + j) * (1 + i + 2 * j) / 10 * (1 if net.activation(1) == "sigmoid" else 1e-3)
    return {"W1": np.zeros((n1, n0)), "b1": 1000.0 * np.array([1, -1, 1, -1])[:n1],
            "W2": W2, "b2": 1000.0 * np.array([-1.0, 1.0, 0.0])[:n2]}


@pytest.mark.parametrize("net", SATURATING, ids=lambda n: f"{','.join(n.layer_activations)}-{n.loss}")
def test_no_overflow_nan_or_inf_at_z_1000(net):
    f = lambdify(net)
    params = _saturating_params(net)
    rng = np.random.default_rng(0)
    X, Y = random_data(net, 6, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                # an overflow warning fails the test
        A = f.forward(params, X)
        E = f.loss(params, X, Y)
        grads = {route: f.gradient(params, X, Y, route=route) for route in ROUTES}
    Z = handwritten.forward(net, params, X)[0]
    assert np.abs(Z[1]).min() == 1000 and np.abs(Z[2]).max() >= 990      # the point is saturated
    assert np.isfinite(A).all() and np.isfinite(E)
    reference = handwritten.gradient(net, params, X, Y)
    for route, g in grads.items():
        assert all(np.isfinite(v).all() for v in g.values()), route
        assert_gradients_close(g, reference, rtol=1e-12, what=route)


def test_the_naive_formulas_do_overflow_there():
    """So the test above is a test: the textbook forms fail at the same Z."""
    z = np.array([-1000.0, 1000.0])
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        1 / (1 + np.exp(-z))
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        np.log(1 + np.exp(z))
    naive = sp.lambdify(sp.Symbol("z"), sp.diff(ACTIVATIONS["sigmoid"].formula(sp.Symbol("z"), 1), sp.Symbol("z")))
    with np.errstate(all="raise"), pytest.raises(FloatingPointError):
        naive(z)


# ---- the stable forms are the formulas they replace

Z3, Y3 = sp.symbols("z1:4", real=True), sp.symbols("y1:4", real=True)


def _stable_pairs():
    """Every entry's stable value, the derivative the NumPy code computes, and every stable loss term."""
    z = sp.Symbol("z", real=True)
    for name, rule in ACTIVATIONS.items():
        if rule.stable is not None and rule.elementwise:
            yield f"value {name}", rule.numeric_value(z, 1), rule.formula(z, 1)
        elif rule.stable is not None:
            yield f"value {name}", rule.numeric_value(list(Z3), 0), rule.formula(list(Z3), 0)
        if rule.elementwise and rule.concrete:
            a = rule.formula(z, 1)
            yield f"derivative {name}", rule.numeric_derivative(z, a, 1), sp.diff(a, z)
    for loss, rule in LOSSES.items():
        for out, stable in rule.stable_after.items():
            a = ACTIVATIONS[out]
            A = [a.formula(list(Z3), i) if not a.elementwise else a.formula(Z3[i], 1) for i in range(3)]
            for i in range(3):
                yield f"loss {loss} after {out}, unit {i + 1}", stable(list(Z3), list(Y3), i), rule.term(A[i], Y3[i])


def _agree_at_50_digits(lhs: sp.Expr, rhs: sp.Expr, points: int = 25) -> float:
    """Largest |lhs − rhs| at random points, z in [−30, 30] and y in [0, 1], at 50 digits."""
    rng = np.random.default_rng(5)
    lhs, rhs = lhs.rewrite(sp.exp), rhs.rewrite(sp.exp)
    worst = 0.0
    for _ in range(points):
        values = {s: sp.Float(rng.uniform(-30, 30) if s.name.startswith("z") else rng.uniform(0, 1), 50)
                  for s in lhs.free_symbols | rhs.free_symbols}
        with mpmath.workdps(50):
            worst = max(worst, abs(float((lhs - rhs).evalf(50, subs=values))))
    return worst


@pytest.mark.parametrize("label, stable, formula", list(_stable_pairs()), ids=lambda x: x if isinstance(x, str) else "")
def test_each_stable_form_equals_the_formula_it_replaces(label, stable, formula):
    assert _agree_at_50_digits(stable, formula) < 1e-40, label


def test_the_stable_form_check_refuses_a_wrong_form():
    z = sp.Symbol("z", real=True)
    assert _agree_at_50_digits(Softplus(-z), ACTIVATIONS["softplus"].formula(z, 1)) > 1e-3
    assert _agree_at_50_digits(Expit(z) + 1e-30, 1 / (1 + sp.exp(-z))) > 1e-40


def test_stabilise_rewrites_each_form_and_leaves_an_expression_without_them_as_it_is():
    from symbackprop.model.stable import Erf, stabilise
    z, w = sp.symbols("z w", real=True)
    assert stabilise(w * sp.log(1 + sp.exp(z))) == w * Softplus(z)
    assert stabilise(w / (1 + sp.exp(z + w))) == w * Expit(-z - w)
    assert stabilise(sp.erf(z) + sp.exp(w)) == Erf(z) + sp.exp(w)
    plain = w * z * (1 - z) + sp.log(z)            # what a sigmoid network's δ and gradients look like
    assert stabilise(plain) is plain


def test_the_helpers_are_the_functions_they_print():
    from symbackprop.model import stable
    z = np.linspace(-30, 30, 61)
    assert np.allclose(stable.expit(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)
    assert np.allclose(stable.softplus(z), np.log1p(np.exp(z)), rtol=1e-15, atol=0)
    assert np.allclose(stable.logsumexp(z, 2 * z), np.log(np.exp(z) + np.exp(2 * z)), rtol=1e-15)
    w = z + 1e-20j                                    # complex step goes through the same helpers
    assert np.allclose(np.imag(stable.softplus(w)) / 1e-20, stable.expit(z), rtol=1e-14)
    assert LogSumExp(*Z3).rewrite(sp.exp) == sp.log(sum(sp.exp(v) for v in Z3))


# ---- the printed source is what runs

MATRIX_SOURCE_231 = '''def gradient_matrix(W1, b1, W2, b2, X, Y):
    """∂E/∂W, ∂E/∂b from the δ equations in matrix form, all m samples at once."""
    m = X.shape[1]
    # layer 1: Z^1 = W^1 A^0 + b^1 1ᵀ, A^1 = sigmoid(Z^1)
    Z1 = W1 @ X
    Z1 += b1[:, None]
    #   A^1 written over Z^1: g^1' needs only A^1
    A1 = _expit(Z1, out=Z1)
    # layer 2: Z^2 = W^2 A^1 + b^2 1ᵀ, A^2 = sigmoid(Z^2)
    Z2 = W2 @ A1
    Z2 += b2[:, None]
    A2 = _expit(Z2)
    # δ^2 = ∂E/∂Z^2: the output equation
    delta2 = A2*(1 - A2)*(A2 - Y)/m
    # ∂E/∂W^2 and ∂E/∂b^2
    dW2 = delta2 @ A1.T
    db2 = delta2.sum(axis=1, keepdims=True)
    # δ^1 from δ^2: the hidden equation
    #   in place: the product, then times each factor of g^1'(Z^1) = A1*(1 - A1)
    delta1 = W2.T @ delta2
    delta1 *= A1
    delta1 *= np.subtract(1, A1, out=A1)
    # arrays no later line reads: freed, so the next ones reuse their memory
    del delta2, Z2, A2, Z1, A1
    # ∂E/∂W^1 and ∂E/∂b^1
    dW1 = delta1 @ X.T
    db1 = delta1.sum(axis=1, keepdims=True)
    return dW1, db1, dW2, db2
'''


def test_matrix_source_of_the_default_network_reads_like_the_equations():
    assert lambdify(Network()).source("matrix") == MATRIX_SOURCE_231


def test_the_matrix_route_writes_only_into_its_own_arrays():
    """It adds the bias in place, puts A^l over Z^l and g' over A^l: the caller's arrays stay as they were,
    and a second call gives the same numbers (nothing carried over)."""
    nets = [*NETWORKS.values(), Network(sizes=(3, 5, 4, 3), activations=("sigmoid", "sigmoid", "softmax"), loss="cce")]
    for net in nets:
        f = lambdify(net)
        rng = np.random.default_rng(3)
        params = random_params(net, rng)
        X, Y = random_data(net, 7, rng)
        before = [a.copy() for a in (*params.values(), X, Y)]
        first = f.gradient(params, X, Y)
        assert all(np.array_equal(a, b) for a, b in zip((*params.values(), X, Y), before, strict=True)), net
        second = f.gradient(params, X, Y)
        assert all(np.array_equal(first[k], second[k]) for k in first), net
        assert_gradients_close(first, handwritten.gradient(net, params, X, Y), rtol=1e-12, what=str(net.sizes))


@pytest.mark.parametrize("low", [-709.0, -1000.0], ids=["one exponential", "e^(-x) would overflow"])
def test_expit_into_an_array_is_expit(low):
    from symbackprop.model import stable
    z = np.concatenate([np.linspace(-40, 40, 81), [low, -1e-300, 0.0, 745.0, 1000.0]])
    want = stable.expit(z)
    assert np.allclose(want[:81], 1 / (1 + np.exp(-z[:81])), rtol=1e-15, atol=0)
    assert want[81] == (0.0 if low < -745 else 1 / (1 + np.exp(709.0)))
    out = np.empty_like(z)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert stable.expit(z, out=out) is out
        assert np.array_equal(out, want)
        same = z.copy()
        assert stable.expit(same, out=same) is same and np.array_equal(same, want)


@pytest.mark.parametrize("route", ROUTES + ("forward", "loss"))
def test_printed_source_compiled_again_gives_the_same_numbers(route):
    net = NETWORKS["3-layer 2-3-4-2 tanh,relu,sigmoid bce, decay 1/2"]
    f = lambdify(net)
    name = {"forward": "forward", "loss": "loss"}.get(route, f"gradient_{route}")
    again = compile_function(f.source(route), name)
    rng = np.random.default_rng(2)
    params = random_params(net, rng)
    X, Y = random_data(net, 4, rng)
    args = (*params.values(), X) if route == "forward" else (*params.values(), X, Y)
    got, want = again(*args), f.compiled(route)(*args)
    got, want = (list(v) if isinstance(v, tuple) else [v] for v in (got, want))
    assert len(got) == len(want) and all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))


def test_component_source_names_units_like_the_maths():
    text = lambdify(Network()).source("delta")
    for line in ("Z1_1 = W1_1_1*X_1 + W1_1_2*X_2 + b1_1", "A1_1 = _expit(Z1_1)", "gprime1_1 = A1_1*(1 - A1_1)",
                 "delta2_1 = A2_1*(1 - A2_1)*(A2_1 - Y_1)/m", "delta1_1 = W2_1_1*delta2_1*gprime1_1",
                 "shares[0] = X_1*delta1_1", "return shares.sum(axis=1)"):
        assert line in text


# ---- the routes follow the rules they are given: a planted wrong δ equation shows

@pytest.mark.parametrize("slip", ["missing 1/m", "transposed weight", "decay on biases"])
def test_a_planted_wrong_rule_makes_the_delta_routes_wrong_and_not_the_direct_route(slip):
    net = Network(sizes=(2, 3, 3), activations="tanh", weight_decay=0.1)
    f = lambdify(derive(net, rules=planted(slip)))
    rng = np.random.default_rng(4)
    params = random_params(net, rng)
    X, Y = random_data(net, 5, rng)
    reference = handwritten.gradient(net, params, X, Y)
    assert_gradients_close(f.gradient(params, X, Y, route="direct"), reference, rtol=1e-12)
    for route in ("delta", "matrix"):
        with pytest.raises(AssertionError):
            assert_gradients_close(f.gradient(params, X, Y, route=route), reference, rtol=1e-6)


# ---- sizes and bad input

def test_the_matrix_route_takes_a_network_past_the_symbolic_limit():
    net = Network(sizes=(784, 256, 10), activations=("sigmoid", "softmax"), loss="cce")
    f = lambdify(net)
    rng = np.random.default_rng(0)
    params = random_params(net, rng)
    X, Y = random_data(net, 16, rng)
    assert_gradients_close(f.gradient(params, X, Y), handwritten.gradient(net, params, X, Y), rtol=1e-12)
    with pytest.raises(SpecError, match="at most 5000 parameters; this network has 203530"):
        f.gradient(params, X, Y, route="delta")


def _bad(**change):
    net = Network(sizes=(2, 3, 2), activations=("sigmoid", "softmax"), loss="cce")
    rng = np.random.default_rng(0)
    params = random_params(net, rng)
    X, Y = random_data(net, 4, rng)
    args = {"params": params, "X": X, "Y": Y, **change}
    if "params_change" in change:
        args["params"] = {**params, **change.pop("params_change")}
        args.pop("params_change")
    return net, args


@pytest.mark.parametrize("change, message", [
    ({"params_change": {"W1": np.zeros((2, 3))}}, "W1 has shape (2, 3); expected (3, 2) = (n_1, n_0) for sizes (2, 3, 2)"),
    ({"params_change": {"b1": np.zeros((3, 1))}}, "b1 has shape (3, 1); expected (3,) = (n_1,)"),
    ({"params_change": {"W3": np.zeros(1)}}, "params for sizes (2, 3, 2) are W1, b1, W2, b2: unexpected W3"),
    ({"params": {"W1": np.zeros((3, 2))}}, "missing b1, W2, b2"),
    ({"params_change": {"W2": np.full((2, 3), np.nan)}}, "W2 contains nan at index [0, 0]; only finite numbers"),
    ({"params_change": {"b2": ["a", "b"]}}, "b2 must hold real numbers"),
    ({"X": np.zeros((4, 2))}, "X has shape (4, 2); expected (2, m) = (n_0, m): samples are columns"),
    ({"X": np.zeros(2)}, "X has shape (2,); expected (2, m)"),
    ({"X": np.array([[1.0, np.inf, 0, 0], [0, 0, 0, 0]])}, "X contains inf at index [0, 1]"),
    ({"Y": np.zeros((4, 2))}, "Y has shape (4, 2); expected (2, 4) = (n_L, m) to match X: samples are columns"),
    ({"Y": np.full((2, 4), 1.5)}, "Y has 1.5 at index [0, 0]; cce needs targets in [0, 1]"),
    ({"Y": np.full((2, 4), -0.5)}, "Y has -0.5 at index [0, 0]; cce needs targets in [0, 1]"),
])
def test_bad_input_is_one_line_naming_what_is_wrong(change, message):
    net, args = _bad(**change)
    f = lambdify(net)
    with pytest.raises(SpecError) as error:
        f.gradient(args["params"], args["X"], args["Y"])
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bce_targets_outside_0_1_are_refused():
    net = Network(sizes=(2, 1), loss="bce")
    f = lambdify(net)
    with pytest.raises(SpecError, match=r"Y has 2.0 at index \[0, 1\]; bce needs targets in \[0, 1\]"):
        f.loss({"W1": [[1.0, 1.0]], "b1": [0.0]}, [[1.0, 2.0], [0.0, 0.0]], [[1.0, 2.0]])


def test_what_cannot_be_lambdified_says_why():
    with pytest.raises(SpecError, match="lambdify needs concrete activations; layer 1 is generic"):
        lambdify(Network(activations="generic"))
    f = lambdify(Network(sizes=(1, 1), weight_decay="lam"))
    args = ({"W1": [[1.0]], "b1": [0.0]}, [[1.0]], [[0.0]])
    with pytest.raises(SpecError, match="weight decay is the symbol lam: pass weight_decay=<number>"):
        f.gradient(*args)
    lam_half = f.gradient(*args, weight_decay=0.5)["W1"]
    lam_zero = f.gradient(*args, weight_decay=0.0)["W1"]
    assert lam_half - lam_zero == pytest.approx(0.5 * 1.0)      # λ W
    with pytest.raises(SpecError, match="unknown route 'fast'; allowed: direct, delta, matrix"):
        f.gradient(*args, route="fast", weight_decay=0)


def test_per_sample_share_sums_to_E():
    """The identity every route rests on: E over m samples is the sum of the samples' shares E_c."""
    net = Network(sizes=(2, 2, 2), activations=("tanh", "softmax"), loss="cce", batch=3, weight_decay="lam")
    whole = ForwardPass(net)
    share = ForwardPass(Network(sizes=(2, 2, 2), activations=("tanh", "softmax"), loss="cce", batch=1,
                                weight_decay="lam"), per_sample=True)
    shares = [share.E.xreplace({**{x: whole.X[i, c] for i, x in enumerate(share.X)},
                                **{y: whole.Y[i, c] for i, y in enumerate(share.Y)},
                                **{a: whole.A[2][i, c] for i, a in enumerate(share.A[2])},
                                sp.Symbol("m", integer=True, positive=True): 3}) for c in range(3)]
    assert sp.expand(sp.Add(*shares) - whole.E) == 0


@pytest.mark.parametrize("at_zero", [0, 0.5, 1])
def test_relu_at_zero_is_the_stated_convention_at_an_exact_kink(at_zero):
    """b1 = 0 and a zero column of X put every hidden relu exactly at Z = 0: relu'(0) decides ∂E/∂b1."""
    net = Network(sizes=(2, 3, 2), activations=("relu", "sigmoid"), relu_at_zero=at_zero)
    rng = np.random.default_rng(8)
    params = {**random_params(net, rng), "b1": np.zeros(3)}
    X, Y = random_data(net, 4, rng)
    X[:, 1] = 0.0
    f = lambdify(net)
    reference = handwritten.gradient(net, params, X, Y)
    at_kink = handwritten.gradient(net, params, X[:, 1:2], Y[:, 1:2])["b1"]
    assert (at_kink != 0).all() == (at_zero != 0)          # the convention shows in the answer
    for route in ROUTES:
        assert_gradients_close(f.gradient(params, X, Y, route=route), reference, rtol=1e-12, what=route)


def test_cce_with_soft_and_unnormalised_targets():
    """δ^L = (A 1ᵀY − Y)/m holds for any Y: targets that are distributions, or do not sum to 1."""
    net = Network(sizes=(2, 3, 3), activations=("tanh", "softmax"), loss="cce")
    f = lambdify(net)
    rng = np.random.default_rng(9)
    params = random_params(net, rng)
    X = rng.normal(size=(2, 5))
    for Y in (rng.dirichlet(np.ones(3), size=5).T, rng.uniform(size=(3, 5))):
        reference = handwritten.gradient(net, params, X, Y)
        for route in ROUTES:
            assert_gradients_close(f.gradient(params, X, Y, route=route), reference, rtol=1e-12, what=route)


@pytest.mark.parametrize("value, message", [
    (-1, "must be a finite number >= 0; got -1"), (float("nan"), "got nan"), ("abc", "got 'abc'"),
    ([1, 2], "got [1, 2]"), (True, "got True"),
])
def test_a_value_for_a_symbolic_weight_decay_is_checked(value, message):
    f = lambdify(Network(sizes=(1, 1), weight_decay="lam"))
    with pytest.raises(SpecError, match=re.escape(message)):
        f.gradient({"W1": [[1.0]], "b1": [0.0]}, [[1.0]], [[0.0]], weight_decay=value)


def test_a_numeric_weight_decay_cannot_be_overridden_silently():
    f = lambdify(Network(sizes=(1, 1), weight_decay=0.1))
    with pytest.raises(SpecError, match="this network's weight decay is 0.1; weight_decay= is for a symbolic"):
        f.loss({"W1": [[1.0]], "b1": [0.0]}, [[1.0]], [[0.0]], weight_decay=5)
    with pytest.raises(SpecError, match="lambdify takes a Derivation"):
        lambdify("2,3,1")
