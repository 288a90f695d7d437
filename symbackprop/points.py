"""Random points of a network at high precision, for numeric identity tests and counterexamples.

A point gives every free input (W, b, X, Y, a symbolic λ) a random value, runs the forward pass
in mpmath to fill in Z and A, and gives any other free symbol (an adjoint kept as a symbol) an
independent random value. Generic activations g^l become a concrete stand-in, named in
``STAND_IN`` so a counterexample says which g it was found for.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from .activations import generic_function
from .forward import ForwardPass

DIGITS = 100
STAND_IN = "tanh(z) + z/(l + 2)"


def stand_in(layer: int) -> sp.Lambda:
    z = sp.Dummy("z")
    return sp.Lambda(z, sp.tanh(z) + z / (layer + 2))


def _target(loss: str, rng: random.Random) -> float:
    return rng.uniform(0.05, 0.95) if loss in ("bce", "cce") else rng.uniform(-1, 1)


@dataclass
class Point:
    """Numeric values of a network's symbols at one random point."""

    forward: ForwardPass
    values: dict[sp.Symbol, sp.Float]
    rng: random.Random

    def evaluate(self, expr: sp.Expr) -> sp.Float:
        expr = concrete(self.forward, expr)
        missing = [s for s in expr.free_symbols if s not in self.values]
        for s in sorted(missing, key=lambda s: s.name):
            self.values[s] = sp.Float(self.rng.uniform(-1, 1), DIGITS)
        return expr.xreplace(self.values).evalf(DIGITS)

    def inputs(self) -> dict[str, float]:
        """The point as a counterexample shows it: parameters, data and λ."""
        fp = self.forward
        shown = set(fp.parameters.values()) | set(fp.X) | set(fp.Y) | fp.weight_decay.free_symbols
        return {s.name: float(v) for s, v in self.values.items() if s in shown}


def concrete(fp: ForwardPass, expr: sp.Expr) -> sp.Expr:
    """Replace each generic g^l by its stand-in, so the expression can be evaluated."""
    for l in fp.layers:
        g = generic_function(l)
        if expr.has(g):
            expr = expr.replace(g, stand_in(l)).doit()
    return expr


def random_point(fp: ForwardPass, seed: int, scale: float = 1) -> Point:
    """W, b uniform in (−scale, scale), X in (−2 scale, 2 scale), Y inside the loss's domain."""
    rng = random.Random(seed)
    values: dict[sp.Symbol, sp.Float] = {}
    draw = lambda low, high: sp.Float(rng.uniform(low, high), DIGITS)  # noqa: E731
    for l in fp.layers:
        values.update({s: draw(-scale, scale) for s in list(fp.W[l]) + list(fp.b[l])})
    values.update({s: draw(-2 * scale, 2 * scale) for s in fp.X})
    values.update({s: sp.Float(_target(fp.net.loss, rng), DIGITS) for s in fp.Y})
    values.update({s: draw(0.1, 1) for s in fp.weight_decay.free_symbols})
    point = Point(fp, values, rng)
    for s, definition in fp.definitions.items():
        values[s] = point.evaluate(definition)
    return point
