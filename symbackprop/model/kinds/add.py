"""A residual (skip) connection: ``add:k`` adds the output of layer k (0: the input X) to the layer before it.

Forward: y = x + h_k, the two of the same shape (refused in one line otherwise). Backward (He et al., "Deep
Residual Learning", CVPR 2016; the sum rule of the multivariable chain rule): the upstream gradient flows
unchanged down both paths, ∂E/∂x = dy and ∂E/∂h_k = dy; at node k it is summed with what reaches it from the
layer after it. No parameters. Limits: k an earlier node than the one just before (that is y = 2x, no skip).
"""
from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from .base import Kind, Layer, Stage, Step, Values, whole


def _forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    return xs[0] + xs[1]


def _backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
    return [dy, dy], {}


def _autodiff(ops, xs, values):
    return xs[0] + xs[1]


def build(argument: str, widths: tuple[int, ...], backward=_backward) -> Layer:
    k = whole("add", argument, "the layer whose output it adds, 0 (the input) or later", low=0)
    previous = len(widths) - 1                     # the node just before this layer
    if k >= previous:
        raise SpecError(f"add:{k} adds an earlier layer's output: k from 0 (the input) to {previous - 1} here"
                        if previous > 0 else "add:k needs a layer between it and the input")
    if widths[k] != widths[previous]:
        raise SpecError(f"add:{k}: layer {k}'s output has {widths[k]} rows and the layer before has "
                        f"{widths[previous]}; the two added must have the same shape")
    return Layer("add", f"add:{k}", widths[previous], _forward, backward, inputs=(1, previous + 1 - k),
                 tex_forward=r"y = x + h_k", tex_backward=r"\frac{\partial E}{\partial x} = dy,\quad "
                 r"\frac{\partial E}{\partial h_k} = dy", autodiff=_autodiff,
                 stages=(Stage("y", r"y_{ic} = x_{ic} + h_{ic}", lambda f: f["x"] + f["h"]),), steps=STEPS, about=ABOUT)


STEPS = (
    Step("x", r"\frac{\partial E}{\partial x_{ic}} &= dy_{ic}\,\frac{\partial y_{ic}}{\partial x_{ic}} = dy_{ic}",
         r"$\partial y_{ic}/\partial x_{ic} = 1$: the gradient passes down the main path unchanged.",
         lambda f, g: g["y"]),
    Step("h", r"\frac{\partial E}{\partial h_{ic}} &= dy_{ic}\,\frac{\partial y_{ic}}{\partial h_{ic}} = dy_{ic}",
         "and down the skip unchanged too ($\\partial y_{ic}/\\partial h_{ic} = 1$); at the earlier node it is "
         "added to what reaches it from the layer after "
         "it (the sum rule of the multivariable chain rule).", lambda f, g: g["y"]),
)
ABOUT = ("A residual connection (He, Zhang, Ren & Sun, CVPR 2016): the output $h$ of an earlier layer is added to "
         "this layer's input $x$, so that node feeds two layers.")


def planted_one_path(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: the gradient sent down the main path only (the skip's share forgotten)."""
    return build(argument, widths, backward=lambda xs, y, values, dy: ([dy, sp.zeros(*dy.shape)], {}))


KIND = Kind("add", "the layer whose output it adds (0: the input)", build,
            limits="k an earlier layer than the one before it, of the same width")
