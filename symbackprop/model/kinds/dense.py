"""A fully connected layer ``dense:n``: y = W x + b, W (n × n_in), b (n × 1).

Backward (every textbook's): ∂E/∂x = Wᵀ dy, ∂E/∂W = dy xᵀ, ∂E/∂b = Σ_c dy_·c. A stack of dense layers and
activations alone is the dense short form (``Network(sizes, activations)``) and goes to that engine; in a
stack with other kinds it is this entry.
"""
from __future__ import annotations

import sympy as sp

from .base import Kind, Layer, Stage, Step, Values, whole


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
                 autodiff=_autodiff, stages=STAGES, steps=STEPS, about=ABOUT)


KIND = Kind("dense", "its units", build)


STAGES = (Stage("y", r"y_{ic} = \sum_j W_{ij}\,x_{jc} + b_i",
                lambda f: f["W"] * f["x"] + f["b"] * sp.ones(1, f["x"].cols)),)
STEPS = (
    Step("W", r"\frac{\partial E}{\partial W_{ij}} &= \sum_c \frac{\partial E}{\partial y_{ic}}\,"
         r"\frac{\partial y_{ic}}{\partial W_{ij}} = \sum_c dy_{ic}\,x_{jc},\qquad "
         r"\frac{\partial E}{\partial W} = dy\,x^{\mathsf T}",
         r"$W_{ij}$ is used by unit $i$ of every sample $c$, times $x_{jc}$: the chain rule sums over the samples, "
         r"which is the matrix product with $x^{\mathsf T}$.",
         lambda f, g: g["y"] * f["x"].T,
         also=(lambda f, g: sp.Matrix(*f["W"].shape, lambda i, j: sp.Add(*[
             g["y"][i, c] * f["x"][j, c] for c in range(f["x"].cols)])),)),
    Step("b", r"\frac{\partial E}{\partial b_i} &= \sum_c dy_{ic},\qquad "
         r"\frac{\partial E}{\partial b} = dy\,\mathbf{1}",
         r"$b_i$ likewise, with $\partial y_{ic}/\partial b_i = 1$.",
         lambda f, g: g["y"] * sp.ones(f["x"].cols, 1)),
    Step("x", r"\frac{\partial E}{\partial x_{jc}} &= \sum_i \frac{\partial E}{\partial y_{ic}}\,"
         r"\frac{\partial y_{ic}}{\partial x_{jc}} = \sum_i W_{ij}\,dy_{ic},\qquad "
         r"\frac{\partial E}{\partial x} = W^{\mathsf T} dy",
         r"$x_{jc}$ reaches every unit $i$ of its own sample, times $W_{ij}$: a sum over $i$, the product with "
         r"$W^{\mathsf T}$.",
         lambda f, g: f["W"].T * g["y"],
         also=(lambda f, g: sp.Matrix(*f["x"].shape, lambda j, c: sp.Add(*[
             f["W"][i, j] * g["y"][i, c] for i in range(f["W"].rows)])),)),
)
ABOUT = ("A dense (fully connected) layer: every unit $i$ takes a weighted sum of every input $j$, plus its bias. "
         "Each sample $c$ of the batch is one column.")
