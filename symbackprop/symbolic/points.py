"""Random points of a network at high precision, for numeric identity tests and counterexamples.

A point gives every free input (W, b, X, Y, a symbolic λ) a random value, runs the forward pass
in mpmath to fill in Z and A, and gives any other free symbol (an adjoint kept as a symbol) an
independent random value. Generic activations g^l become a concrete stand-in, named in
``STAND_IN`` so a counterexample says which g it was found for.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..model.activations import generic_function
from ..model.errors import SpecError
from .forward import ForwardPass

DIGITS = 100
GUARD = 20          # extra digits the direct mpmath evaluation works with, so its result is good to DIGITS
STAND_IN = "tanh(z + k/3) + z²/(l + 3) at the k-th point"


def stand_in(layer: int, k: int) -> sp.Lambda:
    """Neither even nor odd, and different at every point: a sign slip in g' cannot hide."""
    z = sp.Dummy("z")
    return sp.Lambda(z, sp.tanh(z + sp.Rational(k, 3)) + z**2 / (layer + 3))


@dataclass
class Point:
    """Numeric values of a network's symbols at one random point."""

    forward: ForwardPass
    values: dict[sp.Symbol, sp.Float]
    rng: random.Random
    k: int = 0
    digits: int = DIGITS          # working precision; a second look at twice it tells a difference from rounding
    _numbers: dict = field(default_factory=dict, repr=False)     # symbol -> (its value, that value as an mpf)

    def evaluate(self, expr: sp.Expr, *, direct: bool = True) -> sp.Float:
        """expr's value at the point; ``direct=False``: by SymPy's evalf only (a pinned kink's forward pass, whose
        Z must come out as SymPy's arithmetic makes it, exactly on the kink)."""
        missing = [s for s in expr.free_symbols if s not in self.values]
        for s in sorted(missing, key=lambda s: s.name):
            self.values[s] = sp.Float(self.rng.uniform(-1, 1), self.digits)
        fast = self._direct(expr) if direct else None
        if fast is not None:
            return fast
        expr = concrete(self.forward, expr, self.k)
        return expr.xreplace(self.values).evalf(self.digits)

    def _direct(self, expr: sp.Expr) -> sp.Float | None:
        """The value by mpmath directly, node by node (SymPy's xreplace and evalf rebuild every product and sum
        of the tree first): a finite real number, or None where anything is not (then SymPy decides)."""
        try:
            with mpmath.workdps(self.digits + GUARD):
                value = _Direct(self).value(expr)
        except _OutOfRange:
            raise SpecError(f"a random point's values grow past 2^{MAX_MAGNITUDE} through this network's layers "
                            "(a quadratic activation, or the generic g's quadratic stand-in, doubles their exponent "
                            "at each layer), so it cannot be evaluated at bounded cost; a network with named "
                            "activations, or fewer layers, can") from None
        except (_Unsupported, ZeroDivisionError, ValueError, OverflowError, TypeError):
            return None
        if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value):
            return None
        return sp.Float(value, self.digits)

    def number(self, s: sp.Symbol) -> mpmath.mpf:
        v = self.values[s]
        known = self._numbers.get(s)
        if known is None or known[0] is not v:
            if not (isinstance(v, sp.Number) and v.is_finite):
                raise _Unsupported(s)
            known = self._numbers[s] = (v, _number(v))
        return known[1]

    def inputs(self) -> dict[str, float]:
        """The point as a counterexample shows it: parameters, data and λ."""
        fp = self.forward
        shown = set(fp.parameters.values()) | set(fp.X) | set(fp.Y) | fp.weight_decay.free_symbols
        return {s.name: float(v) for s, v in self.values.items() if s in shown}


class _Unsupported(Exception):
    """A node the direct evaluation does not know: SymPy evaluates the expression instead."""


_FUNCTIONS = {sp.exp: mpmath.exp, sp.log: mpmath.log, sp.tanh: mpmath.tanh, sp.sinh: mpmath.sinh,
              sp.cosh: mpmath.cosh, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.atan: mpmath.atan,
              sp.erf: mpmath.erf, sp.Abs: mpmath.fabs}


def _number(e: sp.Number) -> mpmath.mpf:
    if e.is_Integer:
        return mpmath.mpf(int(e))
    if e.is_Rational:
        return mpmath.mpf(int(e.p)) / int(e.q)
    if e.is_Float:
        return mpmath.mpf(e._mpf_)
    raise _Unsupported(e)                          # nan, infinities


# A value past 2^MAX_MAGNITUDE at a random point ends the evaluation: through 100 layers of a quadratic stand-in
# the exponents grow doubly exponentially, and one mpmath.tanh of such a number took 24 GB before the kernel
# killed the process. Every value the checks need is far inside it (float64 stops at 2^1024).
MAX_MAGNITUDE = 100_000


class _OutOfRange(Exception):
    """A value at the point is too large to evaluate at bounded cost (not a ValueError: never caught as one)."""


class _Direct:
    """One expression's value at a point in mpmath, each shared subtree once; the generic g^l as its stand-in."""

    def __init__(self, point: Point):
        self.point = point
        self.memo: dict[sp.Basic, object] = {}
        self.layers = {f"g{l}": l for l in point.forward.layers}

    def value(self, e: sp.Basic):
        known = self.memo.get(e)
        if known is None:
            known = self.memo[e] = self._value(e)
            if isinstance(known, mpmath.mpf) and known and mpmath.isfinite(known) \
                    and mpmath.mag(known) > MAX_MAGNITUDE:
                raise _OutOfRange(e)       # mpmath's tanh of such a number allocates 2^mag bits: gigabytes
        return known

    def _value(self, e: sp.Basic):
        if e.is_Symbol:
            return self.point.number(e)
        if e.is_Number:
            return _number(e)
        if e is sp.pi:
            return +mpmath.pi
        if e.is_Add:
            return mpmath.fsum(self.value(a) for a in e.args)
        if e.is_Mul:
            out = mpmath.mpf(1)
            for a in e.args:
                out *= self.value(a)
            return out
        if e.is_Pow:
            base, power = self.value(e.base), e.exp
            if power.is_Integer:
                return base ** int(power)
            return mpmath.power(base, self.value(power))
        func = _FUNCTIONS.get(e.func)
        if func is not None:
            return func(self.value(e.args[0]))
        if isinstance(e, (sp.Max, sp.Min)):
            return (max if isinstance(e, sp.Max) else min)(self.value(a) for a in e.args)
        if isinstance(e, sp.Heaviside):
            x = self.value(e.args[0])
            if x != 0:
                return mpmath.mpf(1 if x > 0 else 0)
            return self.value(e.args[1]) if len(e.args) > 1 else mpmath.mpf(1) / 2
        if isinstance(e, sp.sign):
            return mpmath.mpf(mpmath.sign(self.value(e.args[0])))
        if isinstance(e, AppliedUndef) and len(e.args) == 1 and e.func.__name__ in self.layers:
            return self._stand_in(e.func.__name__, self.value(e.args[0]), 0)
        if isinstance(e, sp.Derivative) and isinstance(e.expr, AppliedUndef) and len(e.expr.args) == 1 \
                and e.expr.func.__name__ in self.layers and e.expr.args[0].is_Symbol and len(e.variable_count) == 1 \
                and e.variable_count[0][0] == e.expr.args[0] and e.variable_count[0][1] in (1, 2):
            return self._stand_in(e.expr.func.__name__, self.value(e.expr.args[0]), int(e.variable_count[0][1]))
        raise _Unsupported(e.func)

    def _stand_in(self, name: str, z, order: int):
        """stand_in(l, k) and its first two derivatives at z."""
        l, k = self.layers[name], self.point.k
        t = mpmath.tanh(z + mpmath.mpf(k) / 3)
        if order == 0:
            return t + z ** 2 / (l + 3)
        if order == 1:
            return 1 - t ** 2 + 2 * z / (l + 3)
        return -2 * t * (1 - t ** 2) + mpmath.mpf(2) / (l + 3)


def concrete(fp: ForwardPass, expr: sp.Expr, k: int = 0) -> sp.Expr:
    """Replace each generic g^l by its stand-in at the k-th point, so the expression can be evaluated."""
    for l in fp.layers:
        g = generic_function(l)
        if expr.has(g):
            expr = expr.replace(g, stand_in(l, k)).doit()
    return expr


def random_point(fp: ForwardPass, seed: int, scale: float = 1, *, k: int = 0,
                 pin: tuple[sp.Symbol, float] | None = None, digits: int = DIGITS) -> Point:
    """W, b in (−scale, scale), X in (−2 scale, 2 scale), Y in the loss's domain, λ in (0, scale).

    ``pin = (Z^l_ic, value)`` shifts b^l_i so that Z^l_ic takes that value exactly: a relu kink
    is then visited, not only its two sides. The forward pass of a point is computed once and
    each caller gets its own copy, with its own generator for any further symbol. ``digits``: the working
    precision (the same inputs, which are doubles, at any precision).
    """
    values = _forward_values(fp, seed, scale, k, pin, digits)
    return Point(fp, dict(values), random.Random(f"{seed} free"), k, digits)


@lru_cache(maxsize=256)
def _forward_values(fp: ForwardPass, seed: int, scale: float, k: int,
                    pin: tuple[sp.Symbol, float] | None, digits: int = DIGITS) -> dict[sp.Symbol, sp.Float]:
    rng = random.Random(seed)
    values: dict[sp.Symbol, sp.Float] = {}
    draw = lambda low, high: sp.Float(rng.uniform(low, high), digits)  # noqa: E731
    for l in fp.layers:
        values.update({s: draw(-scale, scale) for s in list(fp.W[l]) + list(fp.b[l])})
    values.update({s: draw(-2 * scale, 2 * scale) for s in fp.X})
    values.update({s: sp.Float(fp.net.loss_rule.targets.point(rng, scale), digits) for s in fp.Y})
    values.update({s: draw(0, scale) for s in fp.weight_decay.free_symbols})
    point = Point(fp, values, rng, k, digits)
    _run_forward(point, direct=pin is None)
    if pin is not None:
        z, value = pin
        l, i = _layer_and_unit(fp, z)
        values[fp.b[l][i]] += sp.Float(value, digits) - values[z]
        _run_forward(point, direct=False)
    return values


def _run_forward(point: Point, *, direct: bool) -> None:
    for s, definition in point.forward.definitions.items():
        point.values[s] = point.evaluate(definition, direct=direct)


def _layer_and_unit(fp: ForwardPass, z: sp.Symbol) -> tuple[int, int]:
    for l in fp.layers:
        for i in range(fp.net.sizes[l]):
            if z in list(fp.Z[l][i, :]):
                return l, i
    raise ValueError(f"{z} is not a pre-activation of this network")
