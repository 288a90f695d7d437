"""The derivation's two ground truths agree, and its δ equations are the textbook ones."""
import pytest
import sympy as sp

from symbackprop import Network, SpecError, derive
from symbackprop.symbolic.identity import canonical_derivatives
from symbackprop.symbolic.points import random_point

SMALL = [
    Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2),
    Network(sizes=(2, 2, 2), activations=("tanh", "softmax"), loss="cce", batch=2),
    Network(sizes=(1, 2, 1), activations=("softplus", "sigmoid"), loss="bce", batch=1, weight_decay="lam"),
    Network(sizes=(2, 2, 1), activations=("relu", "identity"), loss="mse", batch=2, weight_decay=0.5),
]


def test_parameters_are_named_like_the_maths():
    d = derive(Network())
    assert d.parameters == ["W1[1,1]", "W1[1,2]", "W1[2,1]", "W1[2,2]", "W1[3,1]", "W1[3,2]",
                            "b1[1]", "b1[2]", "b1[3]", "W2[1,1]", "W2[1,2]", "W2[1,3]", "b2[1]"]


def test_unknown_parameter_is_a_one_line_error():
    with pytest.raises(SpecError, match=r"unknown parameter 'W3\[1,1\]'; this network has W1\[i,j\] \(i 1..3, "
                                        r"j 1..2\), b1\[i\] \(i 1..3\), W2\[1,j\] \(j 1..3\), b2\[1\] \(or as theta "):
        derive(Network()).partial("W3[1,1]")
    assert derive(Network(sizes=(1, 1))).parameter_ranges() == "W1[1,1], b1[1]"


def test_error_is_the_seed_000_error():
    d = derive(Network(sizes=(1, 1), activations="identity", batch=2))
    fp = d.forward
    expected = ((fp.A[1][0, 0] - fp.Y[0, 0]) ** 2 + (fp.A[1][0, 1] - fp.Y[0, 1]) ** 2) / 4
    assert sp.expand(d.E - expected) == 0


def test_weight_decay_on_weights_only():
    d = derive(Network(sizes=(1, 1), activations="identity", batch=1, weight_decay="lam"))
    lam, W, b = sp.Symbol("lam", nonnegative=True), d.forward.W[1][0, 0], d.forward.b[1][0]
    assert sp.expand(d.partial("W1[1,1]") - d.forward.X[0, 0] * (d.forward.A[1][0, 0] - d.forward.Y[0, 0]) - lam * W) == 0
    assert not d.partial("b1[1]").has(lam) and not d.partial("b1[1]").has(b)


@pytest.mark.parametrize("net", SMALL, ids=lambda n: f"{n.sizes}-{n.activations}-{n.loss}")
def test_chain_rule_partials_agree_with_diff_of_the_substituted_error(net):
    """Two independent ground truths: one local diff per edge, and diff of the whole E."""
    d = derive(net)
    for seed in range(3):
        point = random_point(d.forward, seed)
        for name in d.parameters:
            through_graph = point.evaluate(d.partial(name))
            substituted = point.evaluate(d.substituted_partial(name))
            assert abs(through_graph - substituted) <= 1e-40 * max(1, abs(substituted)), name


def test_generic_ground_truths_agree_structurally():
    """With g^l undefined, the two ground truths are the same expression once written in W, b, X, Y."""
    d = derive(Network(sizes=(2, 2, 1), activations="generic", batch=2))
    for name in d.parameters:
        difference = d.partial(name, substitute=True) - d.substituted_partial(name)
        assert sp.expand(canonical_derivatives(difference)) == 0, name


def test_closed_form_is_the_textbook_delta_recurrence():
    d = derive(Network(sizes=(2, 3, 1), activations="generic", batch=1))
    fp, closed = d.forward, d.closed
    g1p = sp.Derivative(sp.Function("g1", real=True)(fp.Z[1][1, 0]), fp.Z[1][1, 0])
    expected = fp.W[2][0, 1] * closed.delta[2][0, 0] * g1p
    assert sp.expand(closed.delta_equations[1][1, 0] - expected) == 0
    assert sp.expand(closed.gradient_equations[fp.W[1][1, 0]] - closed.delta[1][1, 0] * fp.X[0, 0]) == 0


def test_collapses_hold_with_their_assumptions():
    """sigmoid + bce gives (A − Y)/m; softmax + cce gives (A·1ᵀY − Y)/m, not (A − Y)/m, for free Y."""
    d = derive(Network(sizes=(1, 2), activations="softmax", loss="cce", batch=1))
    fp = d.forward
    A, Y = fp.A[1], fp.Y
    assert sp.expand(d.closed.delta_equations[1][0, 0] - (A[0, 0] * (Y[0, 0] + Y[1, 0]) - Y[0, 0])) == 0
    short = A[0, 0] - Y[0, 0]
    free = sp.expand(fp.in_terms_of_Z(d.partial("b1[1]") - short))
    assert free != 0
    one_hot = {Y[1, 0]: 1 - Y[0, 0]}           # the column of Y sums to 1
    assert sp.simplify(fp.in_terms_of_Z((d.partial("b1[1]") - short).xreplace(one_hot))) == 0
