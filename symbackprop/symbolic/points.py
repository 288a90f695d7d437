"""Random points of a network at high precision, for numeric identity tests and counterexamples.

A point gives every free input (W, b, X, Y, a symbolic λ) a random value, runs the forward pass
in mpmath to fill in Z and A, and gives any other free symbol (an adjoint kept as a symbol) an
independent random value. Generic activations g^l become a concrete stand-in, named in
``STAND_IN`` so a counterexample says which g it was found for.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from ..model.activations import generic_function
from .forward import ForwardPass

DIGITS = 100
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

    def evaluate(self, expr: sp.Expr) -> sp.Float:
        expr = concrete(self.forward, expr, self.k)
        missing = [s for s in expr.free_symbols if s not in self.values]
        for s in sorted(missing, key=lambda s: s.name):
            self.values[s] = sp.Float(self.rng.uniform(-1, 1), DIGITS)
        return expr.xreplace(self.values).evalf(DIGITS)

    def inputs(self) -> dict[str, float]:
        """The point as a counterexample shows it: parameters, data and λ."""
        fp = self.forward
        shown = set(fp.parameters.values()) | set(fp.X) | set(fp.Y) | fp.weight_decay.free_symbols
        return {s.name: float(v) for s, v in self.values.items() if s in shown}


def concrete(fp: ForwardPass, expr: sp.Expr, k: int = 0) -> sp.Expr:
    """Replace each generic g^l by its stand-in at the k-th point, so the expression can be evaluated."""
    for l in fp.layers:
        g = generic_function(l)
        if expr.has(g):
            expr = expr.replace(g, stand_in(l, k)).doit()
    return expr


def random_point(fp: ForwardPass, seed: int, scale: float = 1, *, k: int = 0,
                 pin: tuple[sp.Symbol, float] | None = None) -> Point:
    """W, b in (−scale, scale), X in (−2 scale, 2 scale), Y in the loss's domain, λ in (0, scale).

    ``pin = (Z^l_ic, value)`` shifts b^l_i so that Z^l_ic takes that value exactly: a relu kink
    is then visited, not only its two sides. The forward pass of a point is computed once and
    each caller gets its own copy, with its own generator for any further symbol.
    """
    values = _forward_values(fp, seed, scale, k, pin)
    return Point(fp, dict(values), random.Random(f"{seed} free"), k)


@lru_cache(maxsize=256)
def _forward_values(fp: ForwardPass, seed: int, scale: float, k: int,
                    pin: tuple[sp.Symbol, float] | None) -> dict[sp.Symbol, sp.Float]:
    rng = random.Random(seed)
    values: dict[sp.Symbol, sp.Float] = {}
    draw = lambda low, high: sp.Float(rng.uniform(low, high), DIGITS)  # noqa: E731
    for l in fp.layers:
        values.update({s: draw(-scale, scale) for s in list(fp.W[l]) + list(fp.b[l])})
    values.update({s: draw(-2 * scale, 2 * scale) for s in fp.X})
    values.update({s: sp.Float(fp.net.loss_rule.targets.point(rng, scale), DIGITS) for s in fp.Y})
    values.update({s: draw(0, scale) for s in fp.weight_decay.free_symbols})
    point = Point(fp, values, rng, k)
    _run_forward(point)
    if pin is not None:
        z, value = pin
        l, i = _layer_and_unit(fp, z)
        values[fp.b[l][i]] += sp.Float(value, DIGITS) - values[z]
        _run_forward(point)
    return values


def _run_forward(point: Point) -> None:
    for s, definition in point.forward.definitions.items():
        point.values[s] = point.evaluate(definition)


def _layer_and_unit(fp: ForwardPass, z: sp.Symbol) -> tuple[int, int]:
    for l in fp.layers:
        for i in range(fp.net.sizes[l]):
            if z in list(fp.Z[l][i, :]):
                return l, i
    raise ValueError(f"{z} is not a pre-activation of this network")
