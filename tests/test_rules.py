"""Each table entry's textbook derivative equals SymPy's derivative of its formula."""
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
    table = rule.derivative(z, g, 1).xreplace({RELU_AT_ZERO: sp.Heaviside(0)})   # SymPy's own relu'(0)
    assert exact_zero(sp.diff(g, z) - table) is not None


def test_relu_derivative_at_zero_is_the_stated_convention():
    table = ACTIVATIONS["relu"].derivative(z, None, 1)
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
    assert sp.expand(sp.together(sp.diff(rule.term(a_, y) / m, a_) - rule.gradient(a_, y, m))) == 0


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
