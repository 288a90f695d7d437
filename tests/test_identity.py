"""The exact zero test: sound on identities, silent (None) on non-identities."""
import pytest
import sympy as sp

from symbackprop.symbolic.identity import canonical_derivatives, exact_zero, rationalize

x, y = sp.symbols("x y", real=True)
g = sp.Function("g")
s = 1 / (1 + sp.exp(-x))


@pytest.mark.parametrize("expr, method", [
    ((x + y) ** 2 - x**2 - 2 * x * y - y**2, "structural"),
    (sp.diff(s, x) - s * (1 - s), "rational"),
    (sp.exp(x) * sp.exp(-x) - 1, "structural"),
    (sp.tanh(x) - (sp.exp(2 * x) - 1) / (sp.exp(2 * x) + 1), "rational"),
    (sp.diff(sp.log(1 + sp.exp(x)), x) - 1 / (1 + sp.exp(-x)), "rational"),
    (sp.exp(x * y) / (1 + sp.exp(x * y)) - 1 / (1 + sp.exp(-x * y)), "rational"),
    (sp.diff(g(x), x) * g(y) - g(y) * sp.Derivative(g(x), x), "structural"),
])
def test_identities_are_proved(expr, method):
    assert exact_zero(expr) == method


@pytest.mark.parametrize("expr", [
    sp.diff(s, x) - s * (1 + s),
    sp.tanh(x) - x,
    sp.log(x) - sp.log(y),
    g(x) - g(y),
    sp.exp(x / 2) ** 2 - sp.exp(x) + 1,
])
def test_non_identities_are_not_proved(expr):
    assert exact_zero(expr) is None


def test_derivatives_are_canonical_however_sympy_writes_them():
    inner = sp.Function("h")(x) * 2
    subs_form = sp.diff(g(inner), x) / sp.diff(inner, x)   # Subs(Derivative(g(ξ), ξ), ξ, 2 h(x))
    direct_form = sp.Derivative(g(y), y).subs(y, inner)
    assert sp.expand(canonical_derivatives(subs_form) - canonical_derivatives(direct_form)) == 0


def test_rationalize_leaves_no_transcendental_functions():
    r = rationalize(sp.tanh(x) + sp.exp(2 * x) + sp.log(1 + sp.exp(x)))
    assert not r.atoms(sp.Function)


def test_derivative_at_an_expression_is_canonical_both_ways():
    """g'(x²) written by SymPy as Subs(g'(ξ), ξ, x²) and as Derivative(g(y), y) at y = x²."""
    via_chain = sp.diff(g(x**2), x) / (2 * x)
    via_subs = sp.Derivative(g(y), y).subs(y, x**2)
    assert sp.expand(canonical_derivatives(via_chain) - canonical_derivatives(via_subs)) == 0
    assert not canonical_derivatives(via_chain).has(sp.Subs, sp.Derivative)


def test_relu_identities_are_proved_by_cases_and_kinks_matter():
    """Heaviside(z) Max(0, z) = Max(0, z) on every side of 0; H(z, 0) and H(z, 1) differ at 0 only."""
    w = sp.Symbol("w", real=True)
    assert exact_zero(w * sp.Heaviside(x, 0) * sp.Max(0, x) - w * sp.Max(0, x)) == "cases"
    assert exact_zero(sp.Max(0, x) - x * sp.Heaviside(x, 1)) == "cases"
    assert exact_zero(sp.Heaviside(x, 0) - sp.Heaviside(x, 1)) is None
    assert exact_zero(w * sp.Heaviside(x, 0) - w) is None


def test_a_difference_not_zero_at_one_point_is_never_expanded(monkeypatch):
    """A right rows claim's sides differ in relu's kink only (H(max(0, z)) against H(z)); as functions of
    independent symbols the difference is not 0, and expanding it through a softmax's exponentials took 70 s
    before the numeric test decided. One exact evaluation now says "not an identity" first."""
    from symbackprop.symbolic import identity
    z, w = sp.symbols("z w", real=True)
    softmax = sp.exp(z) / (sp.exp(z) + sp.exp(w) + sp.exp(z + w))
    difference = softmax * (sp.Heaviside(sp.Max(0, z), 0) - sp.Heaviside(z, 0))

    expand, expanded = sp.expand, []

    def recording(expr, *args, **kwargs):         # rationalize expands exponents; the whole difference never
        expanded.append(expr)
        return expand(expr, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("brought to one fraction")
    monkeypatch.setattr(identity.sp, "expand", recording)
    monkeypatch.setattr(identity.sp, "together", refuse)
    assert identity._algebraic_zero(difference) is None
    assert not [e for e in expanded if getattr(e, "has", lambda *a: False)(sp.Heaviside)]


def test_an_identity_is_still_proved_after_the_one_point_test():
    from symbackprop.symbolic import identity
    z, w = sp.symbols("z w", real=True)
    softmax = sp.exp(z) / (sp.exp(z) + sp.exp(w))
    assert identity.exact_zero(softmax * (1 - softmax) - sp.exp(z + w) / (sp.exp(z) + sp.exp(w)) ** 2) == "rational"
    assert identity.exact_zero((z + 1) ** 2 - z ** 2 - 2 * z - 1) == "structural"
