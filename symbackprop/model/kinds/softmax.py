"""Softmax over each column as a layer: ``softmax``.

Forward: s_ic = e^{x_ic} / Σ_k e^{x_kc}, the activation table's softmax entry (its formula, and its stable
form e^{x_i − LSE(x)} for the NumPy code), reused, not copied; after a dense layer at the output it is still
the dense short form's softmax.
Backward, the textbook's Jacobian-vector product (e.g. Goodfellow, Bengio & Courville, *Deep Learning*,
§6.2.2.3; cs231n's notes): ∂E/∂x_ic = s_ic (dy_ic − Σ_k dy_kc s_kc), i.e. dx = s ⊙ (dy − 1 (sᵀ dy)) per column.
No parameters. Limits: the project's.
"""
from __future__ import annotations

import sympy as sp

from ..activations import ACTIVATIONS
from .base import Env, Kind, Layer, Stage, Step, Values, no_argument

TABLE = ACTIVATIONS["softmax"]


def _columns(x: sp.Matrix, value) -> sp.Matrix:
    return sp.Matrix(*x.shape, lambda i, c: value(list(x.col(c)), i))


def _forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    return _columns(xs[0], TABLE.formula)


def _stable_forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    return _columns(xs[0], TABLE.numeric_value)


def _backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
    n, m = y.shape
    dx = sp.Matrix(n, m, lambda i, c: y[i, c] * (dy[i, c] - sp.Add(*[dy[k, c] * y[k, c] for k in range(n)])))
    return [dx], {}


def _autodiff(ops, xs, values):
    return ops.exp(xs[0] - ops.column_lse(xs[0]))           # as the table's softmax writes it


def build(argument: str, widths: tuple[int, ...]) -> Layer:
    no_argument("softmax", argument)
    return Layer("softmax", "softmax", widths[-1], _forward, _backward, numeric=(_stable_forward, _backward),
                 tex_forward=r"s_{ic} = \frac{e^{x_{ic}}}{\sum_k e^{x_{kc}}}",
                 tex_backward=r"\frac{\partial E}{\partial x_{ic}} = "
                 r"s_{ic}\Bigl(dy_{ic} - \sum_k dy_{kc}\, s_{kc}\Bigr)",
                 autodiff=_autodiff, activation=TABLE, stages=STAGES, steps=STEPS, about=ABOUT)


def _jacobian_sum(f: Env, g: Env) -> sp.Matrix:
    y, dy = f["y"], g["y"]
    return sp.Matrix(*y.shape, lambda i, c: sp.Add(*[dy[k, c] * y[k, c] * ((1 if k == i else 0) - y[i, c])
                                                      for k in range(y.rows)]))


STAGES = (Stage("y", r"s_{ic} = \frac{e^{x_{ic}}}{\sum_k e^{x_{kc}}}", lambda f: _forward([f["x"]], f)),)
STEPS = (
    Step("x", r"\frac{\partial E}{\partial x_{ic}} &= \sum_k dy_{kc}\,\frac{\partial s_{kc}}{\partial x_{ic}} "
         r"= \sum_k dy_{kc}\, s_{kc}\bigl([k = i] - s_{ic}\bigr) = s_{ic}\Bigl(dy_{ic} - \sum_k dy_{kc}\, s_{kc}\Bigr)",
         r"Every output $s_{kc}$ of the sample reads $x_{ic}$ (through the sum in its denominator): the chain "
         r"rule sums "
         r"over $k$, with the softmax Jacobian $\partial s_k/\partial x_i = s_k([k = i] - s_i)$; the $k = i$ "
         r"term gives $s_i\,dy_i$.",
         lambda f, g: _backward([f["x"]], f["y"], f, g["y"])[0][0], also=(_jacobian_sum,)),
)
ABOUT = ("Softmax over each sample's column: positive outputs that sum to 1. Each output depends on every input "
         "of its column, so its backward rule is a Jacobian-vector product, not an elementwise product.")


def planted_without_the_sum(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: the diagonal of the Jacobian alone, dx = s ⊙ dy (the cross terms forgotten)."""
    def backward(xs, y, values, dy):
        return [sp.Matrix(*y.shape, lambda i, c: y[i, c] * dy[i, c])], {}
    layer = build(argument, widths)
    return Layer(layer.kind, layer.label, layer.width, layer.forward, backward, autodiff=layer.autodiff)


KIND = Kind("softmax", "", build)
