"""Dropout with a given mask and inverted scaling: ``dropout:p`` (p, the drop probability, exactly: 1/2, 0.2).

Forward (training mode, "inverted dropout" as in Srivastava et al., JMLR 15 (2014), and every library):
y = x ⊙ M / (1 − p), with M the mask (1 keeps a unit, 0 drops it), an (n × m) array given with the data,
not a parameter: E is not differentiated by it. Backward: ∂E/∂x = dy ⊙ M / (1 − p).
The proof holds for any mask values (the rule is linear in M); random masks for gradcheck keep each unit with
probability 1 − p. Limits: the project's; 0 ≤ p < 1.
"""
from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import sympy as sp

from ..errors import SpecError
from .base import Kind, Layer, Stage, Step, Values


def probability(argument: str) -> sp.Rational:
    if not re.fullmatch(r"\d{1,12}(\.\d{1,12})?(/\d{1,12})?", argument):
        raise SpecError(f"dropout:p takes the drop probability p exactly, in [0, 1), such as 1/2 or 0.2; got "
                        f"dropout:{argument}")
    try:
        value = Fraction(argument)
    except (ValueError, ZeroDivisionError):
        raise SpecError(f"dropout:p takes p in [0, 1), such as 1/2; got dropout:{argument}") from None
    if not 0 <= value < 1:
        raise SpecError(f"dropout:p takes p in [0, 1), such as 1/2; got dropout:{argument}")
    return sp.Rational(value.numerator, value.denominator)


def build(argument: str, widths: tuple[int, ...], *, scaled_backward: bool = True) -> Layer:
    p = probability(argument)
    n = widths[-1]
    keep = 1 - p

    def forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return xs[0].multiply_elementwise(values["mask"]) / keep

    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        return [dy.multiply_elementwise(values["mask"]) / (keep if scaled_backward else 1)], {}

    def autodiff(ops, xs, values):
        return xs[0] * values["mask"] / float(keep)

    def draw(rng: np.random.Generator, m: int) -> dict[str, np.ndarray]:
        return {"mask": (rng.uniform(size=(n, m)) < float(keep)).astype(float)}

    return Layer("dropout", f"dropout:{argument}", n, forward, backward, data=(("mask", (n, None)),),
                 tex_forward=r"y = \frac{x \odot M}{1-p}", tex_backward=r"\frac{\partial E}{\partial x} = "
                 r"\frac{dy \odot M}{1-p}", autodiff=autodiff, draw=draw,
                 claim_names=(("p", "the drop probability", lambda xs, values: p),),
                 stages=(Stage("y", r"y_{ic} = \frac{x_{ic}\,M_{ic}}{1-p}", lambda f: forward([f["x"]], f)),),
                 steps=(Step("x", r"\frac{\partial E}{\partial x_{ic}} &= dy_{ic}\,\frac{\partial y_{ic}}"
                             r"{\partial x_{ic}} = \frac{dy_{ic}\,M_{ic}}{1-p}",
                             r"$y_{ic}$ reads $x_{ic}$ alone, times the mask and the $1/(1-p)$ of inverted dropout: a "
                             r"dropped unit ($M_{ic} = 0$) passes no gradient back. The mask is data, not trained.",
                             lambda f, g: g["y"].multiply_elementwise(f["mask"]) / keep),),
                 about=ABOUT)


def planted_unscaled_backward(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: the backward pass without the 1/(1 − p) the forward pass applied."""
    return build(argument, widths, scaled_backward=False)


ABOUT = ("Dropout in training mode (Srivastava et al., JMLR 2014), inverted as every library computes it: a "
         "given mask $M$ of 0s and 1s keeps some units, and the kept ones are scaled by $1/(1-p)$ so that the "
         "expected output is the input.")


KIND = Kind("dropout", "the drop probability p, exactly", build, limits="0 <= p < 1; the mask is given data")
