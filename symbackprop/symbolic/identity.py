"""Deciding whether an expression is identically zero: exactly where possible, else numerically.

Exact, cheapest first; each is sound because an identity that holds for *independent*
variables holds in particular for the related values they take in the network:
1. ``structural``: ``expand`` reduces it to 0 with every symbol free.
2. ``rational``: tanh and friends are rewritten with exp; each exp(n·z + …) with integer n becomes
   a monomial in positive symbols t_z = exp(z); every other function application (g(Z),
   g'(Z), log, Heaviside, Max) becomes a fresh symbol. What is left is a rational function
   of independent symbols, and it is zero iff the numerator expands to 0.
3. ``cases``: where relu appears, on each side of every kink (z > 0, z < 0, z = 0 with the stated
   value of relu'(0)) Heaviside(z) and Max(0, z) are resolved and 1 or 2 decides each case.
Numeric: evaluate at random points with mpmath at high precision, never called a proof.

Before 1 and 2 expand anything, the rational function of 2 is evaluated exactly at one point of its
independent symbols: if it is finite and not 0 there, it is not identically 0 and neither method can
succeed (each proves an identity that holds at every point), so both are skipped. That is what keeps a
claim whose sides differ only in relu's kink (H(max(0, z)) against H(z), equal for every z with the stated
H(0) = 0 but not as functions of independent symbols) from expanding a softmax network's exponentials for
a minute before the case split and the numeric test decide it.
"""
from __future__ import annotations

import random

import sympy as sp
from sympy.core.function import AppliedUndef

HYPERBOLIC = (sp.tanh, sp.sinh, sp.cosh, sp.sech, sp.csch, sp.coth)


def derivative_name(f) -> str:
    return f"{f.func.__name__}_prime"


def canonical_derivatives(expr: sp.Expr) -> sp.Expr:
    """g'(u) the same way however SymPy wrote it: Derivative(g(z), z) or Subs(Derivative(g(ξ), ξ), ξ, u)."""
    def is_first_derivative(d) -> bool:
        return (isinstance(d, sp.Derivative) and isinstance(d.expr, AppliedUndef)
                and len(d.expr.args) == 1 and d.variables == (d.expr.args[0],))

    def rename(e):
        # replace works bottom-up: inside Subs the Derivative is already g_prime(ξ)
        if isinstance(e, sp.Subs) and isinstance(e.expr, AppliedUndef) and e.expr.args == e.variables:
            return e.expr.func(*e.point)
        if is_first_derivative(e):
            return sp.Function(derivative_name(e.expr))(e.variables[0])
        return e

    return expr.replace(lambda e: isinstance(e, (sp.Subs, sp.Derivative)), rename)


def _exp_as_monomial(e: sp.exp, base: dict[sp.Expr, sp.Symbol]) -> sp.Expr | None:
    """exp(Σ n_k u_k) with integer n_k and monomials u_k -> Π t_k^{n_k}, t_k = exp(u_k) > 0.

    None if the exponent is not of that form (a constant, a fraction, a function inside).
    """
    arg = sp.expand(e.args[0])
    coeffs = arg.as_coefficients_dict()
    if not arg.free_symbols or any(not c.is_Integer or not _is_monomial(u) for u, c in coeffs.items()):
        return None
    for u in coeffs:
        base.setdefault(u, sp.Dummy(f"exp_{u}", positive=True))
    return sp.Mul(*[base[u] ** c for u, c in coeffs.items()])


def _is_monomial(u: sp.Expr) -> bool:
    return all(f.is_Symbol for f in sp.Mul.make_args(u))


def rationalize(expr: sp.Expr) -> sp.Expr:
    """The expression as a rational function of independent symbols (see module docstring)."""
    expr = canonical_derivatives(expr)
    for f in HYPERBOLIC:
        expr = expr.rewrite(f, sp.exp)
    base: dict[sp.Symbol, sp.Symbol] = {}
    exps = {e: _exp_as_monomial(e, base) for e in expr.atoms(sp.exp)}
    expr = expr.xreplace({e: t for e, t in exps.items() if t is not None})
    opaque = [a for a in expr.atoms(sp.Function) if not isinstance(a, sp.exp) or exps.get(a) is None]
    fresh = {a: sp.Dummy(f"f{k}") for k, a in enumerate(sorted(opaque, key=sp.default_sort_key))}
    return expr.xreplace(fresh)


def _nonzero_somewhere(rational: sp.Expr) -> bool:
    """Finite and not 0 at one point of exact positive rationals (so not identically 0); False when unsure."""
    rng = random.Random(0)
    at = {s: sp.Rational(rng.randint(2, 97), rng.randint(2, 97)) for s in sorted(rational.free_symbols, key=str)}
    try:
        value = rational.xreplace(at)
    except (ZeroDivisionError, ValueError, TypeError):
        return False
    return value.is_finite is True and value.is_zero is False


def _algebraic_zero(expr: sp.Expr) -> str | None:
    rational = rationalize(expr)
    if _nonzero_somewhere(rational):
        return None
    if sp.expand(expr) == 0:
        return "structural"
    numerator, _ = sp.fraction(sp.together(rational))
    if sp.expand(numerator) == 0:
        return "rational"
    return None


MAX_CASES = 6      # symbols to split on: at most 3^6 cases


def kinks(expr: sp.Expr) -> list[sp.Symbol]:
    """The symbols z of every Heaviside(z, h) and Max(0, z): where relu and its derivative turn."""
    heavisides = [h.args[0] for h in expr.atoms(sp.Heaviside)]
    maxima = [next(a for a in m.args if a != 0) for m in expr.atoms(sp.Max) if len(m.args) == 2 and 0 in m.args]
    return sorted(set(heavisides + maxima), key=sp.default_sort_key)


def _on_side(expr: sp.Expr, z: sp.Symbol, sign: int) -> sp.Expr:
    """expr where z > 0 (sign 1), z < 0 (−1) or z = 0 (0): Heaviside and Max(0, ·) resolved."""
    def heaviside(h):
        return h if h.args[0] != z else (sp.Integer(1) if sign > 0 else 0 if sign < 0 else h.args[1])

    def maximum(m):
        return m if z not in m.args or 0 not in m.args else (z if sign > 0 else sp.Integer(0))

    expr = expr.replace(lambda e: isinstance(e, sp.Heaviside), heaviside)
    expr = expr.replace(lambda e: isinstance(e, sp.Max), maximum)
    return expr.xreplace({z: 0}) if sign == 0 else expr


def _by_cases(expr: sp.Expr) -> str | None:
    """Zero on every side of every kink: z > 0, z < 0 and z = 0 (where the convention applies)."""
    turns = kinks(expr)
    if not turns or len(turns) > MAX_CASES or not all(z.is_Symbol for z in turns):
        return None
    cases = [expr]
    for z in turns:
        cases = [_on_side(e, z, sign) for e in cases for sign in (1, -1, 0)]
    return "cases" if all(_algebraic_zero(e) for e in cases) else None


def exact_zero(expr: sp.Expr) -> str | None:
    """The name of the exact method that reduces expr to 0, or None if none does."""
    return _algebraic_zero(expr) or _by_cases(expr)
