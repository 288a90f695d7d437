"""Log-softmax over each column as a layer: ``log_softmax`` (before the loss ``nll``, negative log-likelihood).

Forward: y_ic = x_ic − log Σ_k e^{x_kc}; the NumPy code computes it as x_ic − LSE(x_·c), shifted by the
column's largest entry, finite for any x.
Backward (as PyTorch's and the textbooks' log-softmax gradient, e.g. cs231n's notes; d/dx of LSE is softmax):
∂E/∂x_ic = dy_ic − e^{y_ic} Σ_k dy_kc, i.e. dx = dy − softmax(x) (1ᵀ dy) per column, with softmax(x) = e^y.
No parameters. Limits: the project's.
"""
from __future__ import annotations

import sympy as sp

from ..stable import LogSumExp
from .base import Kind, Layer, Values, no_argument


def _forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    x = xs[0]
    return sp.Matrix(*x.shape, lambda i, c: x[i, c] - sp.log(sp.Add(*[sp.exp(v) for v in x.col(c)])))


def _stable_forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    x = xs[0]
    return sp.Matrix(*x.shape, lambda i, c: x[i, c] - LogSumExp(*x.col(c)))


def _backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
    n, m = y.shape
    return [sp.Matrix(n, m, lambda i, c: dy[i, c] - sp.exp(y[i, c]) * sp.Add(*dy.col(c)))], {}


def _autodiff(ops, xs, values):
    return xs[0] - ops.column_lse(xs[0])


def build(argument: str, widths: tuple[int, ...]) -> Layer:
    no_argument("log_softmax", argument)
    return Layer("log_softmax", "log_softmax", widths[-1], _forward, _backward, numeric=(_stable_forward, _backward),
                 tex_forward=r"y_{ic} = x_{ic} - \log\sum_k e^{x_{kc}}",
                 tex_backward=r"\frac{\partial E}{\partial x_{ic}} = dy_{ic} - e^{y_{ic}}\sum_k dy_{kc}",
                 autodiff=_autodiff)


KIND = Kind("log_softmax", "", build)
