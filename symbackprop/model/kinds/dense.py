"""A fully connected layer ``dense:n``: y = W x + b, W (n × n_in), b (n × 1).

Backward (every textbook's): ∂E/∂x = Wᵀ dy, ∂E/∂W = dy xᵀ, ∂E/∂b = Σ_c dy_·c. A stack of dense layers and
activations alone is the dense short form (``Network(sizes, activations)``) and goes to that engine; in a
stack with other kinds it is this entry.
"""
from __future__ import annotations

import sympy as sp

from .base import Kind, Layer, Values, whole


def _forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    x, W, b = xs[0], values["W"], values["b"]
    return W * x + b * sp.ones(1, x.shape[1])


def _backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
    x, W = xs[0], values["W"]
    return [W.T * dy], {"W": dy * x.T, "b": dy * sp.ones(dy.shape[1], 1)}


def _autodiff(ops, xs, values):
    return values["W"] @ xs[0] + values["b"]


def build(argument: str, widths: tuple[int, ...]) -> Layer:
    n = whole("dense", argument)
    return Layer("dense", f"dense:{n}", n, _forward, _backward,
                 parameters=(("W", (n, widths[-1])), ("b", (n, 1))),
                 tex_forward=r"y = W x + b",
                 tex_backward=r"\frac{\partial E}{\partial x} = W^{\mathsf T} dy,\quad "
                 r"\frac{\partial E}{\partial W} = dy\, x^{\mathsf T},\quad "
                 r"\frac{\partial E}{\partial b} = \sum_c dy_{\cdot c}",
                 autodiff=_autodiff)


KIND = Kind("dense", "its units", build)
