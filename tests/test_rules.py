"""One parametrised test over every registry entry: each activation's and loss's forms agree.

The textbook derivative equals SymPy's derivative of the formula; the hand-written NumPy forms
(the independent reference's) equal the formula and its derivative; nothing overflows at |z| = 1000.
"""
import numpy as np
import pytest
import sympy as sp

from symbackprop.model.activations import ACTIVATIONS, RELU_AT_ZERO
from symbackprop.model.losses import LOSSES
from symbackprop.symbolic.identity import exact_zero

z, a_, y = sp.symbols("z a y", real=True)


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.elementwise])
def test_activation_derivative_matches_sympy(name):
    rule = ACTIVATIONS[name]
    g = rule.formula(z, 1)
    table = rule.textbook_derivative(z, g, 1).xreplace({RELU_AT_ZERO: sp.Rational(1, 2)})   # SymPy's own H(0)
    difference = sp.diff(g, z) - table
    if exact_zero(difference) is None:     # |z| and sign(z): proved on each side of 0, and at 0
        t = sp.Symbol("t", positive=True)
        sides = [difference.xreplace({z: t}), difference.xreplace({z: -t}), difference.subs(z, 0)]
        assert all(exact_zero(side) is not None for side in sides), name


def test_relu_derivative_at_zero_is_the_stated_convention():
    table = ACTIVATIONS["relu"].textbook_derivative(z, None, 1)
    assert [table.xreplace({RELU_AT_ZERO: h}).subs(z, 0) for h in (0, sp.Rational(1, 2), 1)] == [0, sp.Rational(1, 2), 1]
    assert table.subs(z, 2) == 1 and table.subs(z, -2) == 0


def test_softmax_jacobian_matches_sympy():
    rule = ACTIVATIONS["softmax"]
    column = list(sp.symbols("z1:4", real=True))
    values = [rule.formula(column, i) for i in range(3)]
    for i in range(3):
        for k in range(3):
            assert exact_zero(sp.diff(values[i], column[k]) - rule.derivative(values, i, k)) is not None


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_gradient_matches_sympy(name):
    rule, m = LOSSES[name], 3
    assert sp.expand(sp.together(sp.diff(rule.term(a_, y) / m, a_) - rule.output_gradient(a_, y, m))) == 0


def test_a_wrong_derivative_is_not_an_identity():
    sigmoid = ACTIVATIONS["sigmoid"].formula(z, 1)
    assert exact_zero(sp.diff(sigmoid, z) - sigmoid * (1 + sigmoid)) is None


def test_short_forms_state_their_assumption_as_a_substitution():
    """cce's short form assumes every target column sums to 1; eliminate must make it so."""
    for loss in LOSSES.values():
        for short in loss.short_forms.values():
            column = list(sp.symbols("y1:4", real=True))
            assumed = [y.xreplace(short.eliminate(column)) for y in column]
            assert "sums to 1" in short.assumption and sp.expand(sp.Add(*assumed)) == 1


POINTS = np.array([-1000.0, -30.0, -2.5, -0.7, -1e-9, 0.0, 1e-9, 0.4, 1.9, 30.0, 1000.0])
CONCRETE = [n for n, a in ACTIVATIONS.items() if a.elementwise and a.concrete]


@pytest.mark.parametrize("name", CONCRETE)
def test_hand_written_forms_equal_the_formula(name):
    """The hand-written reference's g and g' are the entry's formula and SymPy's derivative, at every
    point including |z| = 1000 and both sides of 0, with no warning (warnings are errors here)."""
    rule, h = ACTIVATIONS[name], 0.0
    g = rule.formula(z, 1)
    gprime = rule.textbook_derivative(z, g, 1).xreplace({RELU_AT_ZERO: h})
    # 1 + erf(x) as erfc(−x): mpmath then keeps every digit of GELU's tail
    g, gprime = (e.replace(lambda f: isinstance(f, sp.erf), lambda f: sp.erfc(-f.args[0]) - 1) for e in (g, gprime))
    values = rule.numpy(POINTS)
    derivatives = rule.numpy_derivative(POINTS, values, h)
    for k, point in enumerate(POINTS):
        exact_value = float(g.xreplace({z: sp.Float(point, 60)}).evalf(40))
        exact_slope = float(gprime.xreplace({z: sp.Float(point, 60)}).evalf(40))
        assert values[k] == pytest.approx(exact_value, rel=1e-12, abs=1e-300), (name, point)
        # a(1 − a) and 1 − a² lose relative accuracy in the tails (cancellation): absolute 1e-15 there
        assert derivatives[k] == pytest.approx(exact_slope, rel=1e-12, abs=1e-15), (name, point)


@pytest.mark.parametrize("name", list(LOSSES))
def test_hand_written_loss_forms_equal_the_term(name):
    rule = LOSSES[name]
    A = np.array([[0.1, 0.5, 0.93, 0.5], [0.6, 0.2, 0.05, 0.9]])
    Y = np.array([[0.0, 0.5, 1.0, 0.2], [1.0, 0.0, 0.0, 0.3]])
    A = A / A.sum(axis=0) if rule.needs_softmax else A      # softmax outputs: columns sum to 1, Z = log A
    for (i, c), a in np.ndenumerate(A):
        exact = float(rule.term(sp.Float(a, 40), sp.Float(Y[i, c], 40)))
        if rule.numpy is not None:
            assert rule.numpy(np.log(A), A, Y)[i, c] == pytest.approx(exact, rel=1e-13)
        if rule.numpy_gradient is not None:
            slope = float(rule.output_gradient(sp.Float(a, 40), sp.Float(Y[i, c], 40), 1))
            assert rule.numpy_gradient(A, Y)[i, c] == pytest.approx(slope, rel=1e-13)


def test_new_parameters_change_the_rule():
    """leaky_relu's slope and huber's delta reach the formula; equal parameters make equal entries."""
    from symbackprop.model.activations import activation
    from symbackprop.model.losses import loss
    assert activation("leaky_relu(0.2)").formula(z, 1).subs(z, -10) == -2
    assert activation("leaky_relu(slope=0.2)") == activation("leaky_relu(1/5)") != ACTIVATIONS["leaky_relu"]
    assert loss("huber(2)").term(sp.Integer(5), sp.Integer(0)) == 8 and LOSSES["huber"].term(5, 0) == sp.Rational(9, 2)


def test_leaky_relu_takes_the_stated_value_at_its_kink():
    """g'(0) = slope + H(0)(1 − slope): the slope for H(0) = 0, 1 for H(0) = 1; H(−z) gets 1 − H(0)."""
    d = ACTIVATIONS["leaky_relu"].textbook_derivative(z, None, 1)
    assert [d.xreplace({RELU_AT_ZERO: h}).subs(z, 0) for h in (0, 1)] == [sp.Rational(1, 100), 1]
