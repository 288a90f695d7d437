"""verify proves correct δ equations, and refuses planted wrong ones with a counterexample."""
import dataclasses

import pytest
import sympy as sp

from symbackprop import Network, derive, verify
from symbackprop.model.activations import ACTIVATIONS
from symbackprop.symbolic.delta import BACKPROP, hadamard, output_delta
from symbackprop.symbolic.verify import FAILED, NUMERIC, PROVED

NETWORKS = [
    Network(),
    Network(activations="generic"),
    Network(sizes=(2, 3, 3, 2), activations=("tanh", "relu", "identity"), loss="mse", batch=2),
    Network(sizes=(2, 3, 1), activations=("softplus", "sigmoid"), loss="bce", batch=2),
    Network(sizes=(3, 2, 3), activations=("sigmoid", "softmax"), loss="cce", batch=2),
    Network(sizes=(2, 2, 2), activations=("tanh", "softmax"), loss="mse", batch=1),
    Network(sizes=(2, 2, 1), activations="generic", weight_decay="lam", batch=3),
    Network(sizes=(2, 2, 1), activations="sigmoid", weight_decay=0.01, batch=2),
]


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: f"{n.sizes}-{n.activations}-{n.loss}-{n.weight_decay}")
def test_every_partial_is_proved_exactly(net):
    report = verify(derive(net))
    assert report.ok
    assert [r.name for r in report.parameters] == derive(net).parameters
    assert all(r.status == PROVED and r.method.startswith("exact") for r in report.parameters + report.steps)


def test_relu_convention_at_zero_is_stated_and_used():
    for at_zero in (0, 0.5, 1):
        d = derive(Network(activations=("relu", "sigmoid"), relu_at_zero=at_zero))
        assert verify(d).ok
        heavisides = d.partial("W1[1,1]").atoms(sp.Heaviside)
        assert heavisides and all(h.args[1] == sp.nsimplify(at_zero) for h in heavisides)


def _planted(field, rule):
    return dataclasses.replace(BACKPROP, **{field: rule})


PLANTED = {
    "missing g' factor": ((2, 3, 3), 0, _planted("hidden", lambda W, delta, gprime: W.T * delta)),
    "transposed weight": ((2, 3, 3), 0, _planted("hidden", lambda W, delta, gprime: hadamard(W * delta, gprime))),
    "missing 1/m": ((2, 3, 1), 0, _planted("output", lambda fp: output_delta(fp) * fp.net.batch)),
    "A - Y with mse and sigmoid": ((2, 3, 1), 0, _planted("output", lambda fp: fp.A[fp.net.depth] - fp.Y)),
    "weight decay on biases": ((2, 3, 1), "lam", _planted(
        "bias_gradient", lambda delta, b, lam: delta * sp.ones(delta.cols, 1) + lam * b)),
    "no weight decay term": ((2, 3, 1), 0.1, _planted(
        "weight_gradient", lambda delta, A_prev, W, lam: delta * A_prev.T)),
}


@pytest.mark.parametrize("planted", list(PLANTED))
def test_planted_errors_are_caught_with_a_counterexample(planted):
    sizes, lam, rules = PLANTED[planted]
    report = verify(derive(Network(sizes=sizes, batch=2, weight_decay=lam), rules=rules))
    assert not report.ok
    failed = [r for r in report.parameters if r.status == FAILED]
    assert failed
    for r in failed:
        cx = r.counterexample
        assert cx is not None and abs(cx.direct - cx.closed) > 1e-12 * max(1, abs(cx.direct))
        assert set(cx.point) >= {"W1_1_1", "X_1_1", "Y_1_1"}


def test_planted_error_fails_only_where_it_acts():
    """Decay on the biases breaks the bias partials and nothing else."""
    sizes, lam, rules = PLANTED["weight decay on biases"]
    report = verify(derive(Network(sizes=sizes, batch=2, weight_decay=lam), rules=rules))
    assert {r.name for r in report.parameters if r.status == FAILED} == {"b1[1]", "b1[2]", "b1[3]", "b2[1]"}


def test_counterexample_values_are_the_two_partials_at_that_point():
    from symbackprop.symbolic.points import random_point
    sizes, lam, rules = PLANTED["missing 1/m"]
    d = derive(Network(sizes=sizes, batch=2), rules=rules)
    r = verify(d)["W2[1,1]"]
    point = random_point(d.forward, 0)                  # the first point tried
    assert r.counterexample.point == point.inputs()
    assert r.counterexample.direct == pytest.approx(float(point.evaluate(d.partial("W2[1,1]"))), rel=1e-14)
    assert r.counterexample.closed == pytest.approx(2 * r.counterexample.direct, rel=1e-12)   # m = 2


def test_a_wrong_activation_derivative_in_the_table_is_caught(monkeypatch):
    wrong = dataclasses.replace(ACTIVATIONS["tanh"], derivative=lambda z, a, l: 1 - a)
    monkeypatch.setitem(ACTIVATIONS, "tanh", wrong)
    report = verify(derive(Network(activations=("tanh", "sigmoid"))))
    assert not report.ok
    assert any(r.name.startswith("dA1") and r.status == FAILED for r in report.steps)
    assert all(r.status == FAILED for r in report.parameters if r.name.startswith(("W1", "b1")))


def test_an_identity_without_an_exact_method_is_numeric_never_proved(monkeypatch):
    """σ' written as sech²(z/2)/4 is right, but no exact method here reduces exp(z/2): numeric."""
    right = dataclasses.replace(ACTIVATIONS["sigmoid"], derivative=lambda z, a, l: sp.sech(z / 2) ** 2 / 4)
    monkeypatch.setitem(ACTIVATIONS, "sigmoid", right)
    report = verify(derive(Network(sizes=(2, 2, 1))))
    assert report.ok
    assert {r.status for r in report.parameters} == {NUMERIC}
    assert all(r.method.startswith("numeric: ") and "random points at 100 digits" in r.method
               and r.residual < 1e-60 for r in report.parameters)


def test_report_serialises():
    out = verify(derive(Network())).to_dict()
    assert out["ok"] and out["counts"] == {"proved": 13, "numeric": 0, "failed": 0}
    assert out["network"] == {"sizes": [2, 3, 1], "activations": ["sigmoid", "sigmoid"], "loss": "mse",
                              "batch": 2, "weight_decay": 0}


def test_softmax_cce_short_form_is_proved_only_with_its_assumption():
    """δ^L = (A^L − Y)/m needs every column of Y to sum to 1; with Y free it is wrong."""
    from symbackprop.symbolic.derive import Step
    from symbackprop.symbolic.verify import check_step
    d = derive(Network(sizes=(2, 3), activations="softmax", loss="cce", batch=1))
    report = verify(d)
    short = [r for r in report.steps if "short form, if every column of Y sums to 1" in r.name]
    assert len(short) == 3 and all(r.status == PROVED for r in short)
    A, Y = d.forward.A[1], d.forward.Y
    free = check_step(d, Step("δ^1_1 = A − Y, Y free", d.partial("b1[1]"), A[0, 0] - Y[0, 0]))
    assert free.status == FAILED and free.counterexample is not None


def test_equations_alike_but_for_names_share_a_proof_only_with_the_same_activation():
    """The proof cache keys on the equation and on the definitions of the A^l it mentions."""
    from symbackprop.symbolic.derive import Step
    from symbackprop.symbolic.verify import check_step
    d = derive(Network(sizes=(1, 1, 1), activations=("sigmoid", "tanh"), batch=1))
    fp, cache = d.forward, {}
    a1, a2, z1, z2 = fp.A[1][0, 0], fp.A[2][0, 0], fp.Z[1][0, 0], fp.Z[2][0, 0]
    sigmoid_prime = sp.exp(-z1) / (1 + sp.exp(-z1)) ** 2
    assert check_step(d, Step("σ'", sigmoid_prime, a1 * (1 - a1)), cache=cache).status == PROVED
    alike = sp.exp(-z2) / (1 + sp.exp(-z2)) ** 2         # the same shape, but A^2 = tanh(Z^2)
    assert check_step(d, Step("not σ'", alike, a2 * (1 - a2)), cache=cache).status == FAILED


def test_an_output_delta_that_mixes_samples_is_caught():
    """Found in review: sample 1's Z used for sample 2 once shared a cached proof with the right form."""
    from symbackprop.symbolic.delta import loss_gradient

    def output(fp):
        Z, dE_dA = fp.Z[fp.net.depth], loss_gradient(fp)
        sigmoid_prime = lambda z: sp.exp(-z) / (1 + sp.exp(-z)) ** 2  # noqa: E731
        return sp.Matrix(Z.rows, Z.cols, lambda i, c: dE_dA[i, c] * sigmoid_prime(Z[i, 0]))

    report = verify(derive(Network(sizes=(2, 1), batch=2), rules=_planted("output", output)))
    assert report["delta1[1,2]"].status == FAILED and report["delta1[1,1]"].status == PROVED
    assert {r.name for r in report.parameters if r.status == FAILED} == {"W1[1,1]", "W1[1,2]", "b1[1]"}


@pytest.mark.parametrize("poison", [sp.nan, sp.zoo, 5 * sp.I])
def test_values_that_are_not_finite_reals_never_pass(poison):
    rules = _planted("output", lambda fp: output_delta(fp).applyfunc(lambda e: e + poison))
    report = verify(derive(Network(sizes=(2, 1), batch=1), rules=rules))
    assert not report.ok and all(r.status == FAILED for r in report.parameters)


def test_a_wrong_gradient_that_is_right_on_a_narrow_box_is_caught():
    """Numeric points spread wider than (−2, 2): a factor Heaviside(X + 3) is seen."""
    wrong = _planted("weight_gradient",
                     lambda delta, A_prev, W, lam: (delta * A_prev.T + lam * W).applyfunc(
                         lambda e: e * sp.Heaviside(A_prev[0, 0] + 3)))
    report = verify(derive(Network(sizes=(1, 1), activations="identity", batch=1), rules=wrong))
    assert report["W1[1,1]"].status == FAILED


def test_weight_decay_is_the_number_given():
    from fractions import Fraction

    from symbackprop.symbolic.forward import ForwardPass
    assert ForwardPass(Network(weight_decay=0.1)).weight_decay == sp.Rational(1, 10)
    assert ForwardPass(Network(weight_decay=1.4142135623731)).weight_decay == sp.Rational("1.4142135623731")
    assert ForwardPass(Network(weight_decay=Fraction(1, 3))).weight_decay == sp.Rational(1, 3)


def _with(monkeypatch, table, key, **changes):
    monkeypatch.setitem(table, key, dataclasses.replace(table[key], **changes))


@pytest.mark.parametrize("sizes", [(4, 1, 2), (2, 1, 1), (2, 2, 1)])
def test_relu_without_its_derivative_is_caught(sizes):
    """Found in review: Heaviside was opaque and every point had the unit active."""
    rules = _planted("hidden", lambda W, delta, gprime: W.T * delta)
    for seed in (0, 56):
        report = verify(derive(Network(sizes=sizes, activations=("relu", "identity"), batch=1), rules=rules),
                        seed=seed)
        assert {r.name for r in report.parameters if r.status == FAILED} >= {"W1[1,1]", "b1[1]"}


@pytest.mark.parametrize("wrong_derivative", [
    lambda z, a, l: sp.Heaviside(z, 1),                         # the table's relu'(0) is not the stated 0
    lambda z, a, l: sp.Piecewise((1, z >= 0), (0, True)),
    lambda z, a, l: sp.Heaviside(z, 0) + sp.KroneckerDelta(z, 0),
])
def test_a_relu_derivative_wrong_only_at_zero_is_caught(monkeypatch, wrong_derivative):
    _with(monkeypatch, ACTIVATIONS, "relu", derivative=wrong_derivative)
    report = verify(derive(Network(activations=("relu", "identity"), relu_at_zero=0)))
    assert not report.ok and report["W1[1,1]"].status == FAILED


def test_a_sign_slip_in_the_generic_derivative_is_caught(monkeypatch):
    """g'(−z) for g'(z): the stand-in g is neither even nor odd."""
    from symbackprop.model.activations import generic_function
    x = sp.Symbol("x")
    _with(monkeypatch, ACTIVATIONS, "generic", derivative=lambda z, a, l: sp.Subs(
        sp.Derivative(generic_function(l)(x), x), x, -z))
    report = verify(derive(Network(activations="generic")))
    assert all(r.status == FAILED for r in report.parameters)


def test_a_tiny_error_is_not_lost_in_the_tolerance(monkeypatch):
    _with(monkeypatch, ACTIVATIONS, "sigmoid", derivative=lambda z, a, l: a * (1 - a) + sp.Rational(1, 10**31))
    assert all(r.status == FAILED for r in verify(derive(Network())).parameters)


def test_targets_are_drawn_beyond_the_unit_interval_for_mse(monkeypatch):
    from symbackprop.model.losses import LOSSES
    _with(monkeypatch, LOSSES, "mse", gradient=lambda a, y, m: (a - sp.Max(-1, sp.Min(1, y))) / m)
    assert not verify(derive(Network())).ok


def test_relu_at_zero_must_go_with_a_relu_layer():
    from symbackprop import SpecError
    with pytest.raises(SpecError, match="relu_at_zero .* only applies to a network with a kinked activation such as relu"):
        Network(activations="sigmoid", relu_at_zero=1)


def test_numpy_numbers_are_accepted_exactly():
    import numpy as np

    from symbackprop.symbolic.forward import ForwardPass
    assert ForwardPass(Network(weight_decay=np.float64(0.1))).weight_decay == sp.Rational(1, 10)
    assert ForwardPass(Network(weight_decay=np.int64(2))).weight_decay == 2
