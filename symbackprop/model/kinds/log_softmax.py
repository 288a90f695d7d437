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
from .base import Kind, Layer, Stage, Step, Values, no_argument


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
                 autodiff=_autodiff, stages=STAGES, steps=STEPS, about=ABOUT)


STAGES = (
    Stage("lse", r"\ell_c = \log\sum_k e^{x_{kc}}",
          lambda f: sp.Matrix(1, f["x"].cols, lambda _, c: sp.log(sp.Add(*[sp.exp(v) for v in f["x"].col(c)])))),
    Stage("y", r"y_{ic} = x_{ic} - \ell_c",
          lambda f: sp.Matrix(*f["x"].shape, lambda i, c: f["x"][i, c] - f["lse"][0, c])),
)
STEPS = (
    Step("lse", r"\frac{\partial E}{\partial \ell_c} &= \sum_k dy_{kc}\,\frac{\partial y_{kc}}{\partial \ell_c} "
         r"= -\sum_k dy_{kc}",
         r"$\ell_c$ is subtracted from every output of its sample.",
         lambda f, g: sp.Matrix(1, f["x"].cols, lambda _, c: -sp.Add(*g["y"].col(c)))),
    Step("x", r"\frac{\partial E}{\partial x_{ic}} &= dy_{ic} + \frac{\partial E}{\partial \ell_c}\,"
         r"\frac{e^{x_{ic}}}{\sum_k e^{x_{kc}}} = dy_{ic} - e^{y_{ic}}\sum_k dy_{kc}",
         r"$x_{ic}$ reaches $E$ directly through $y_{ic}$ and through $\ell_c$, whose derivative is the "
         r"softmax, $e^{y_{ic}}$.",
         lambda f, g: sp.Matrix(*f["x"].shape,
                                lambda i, c: g["y"][i, c] - sp.exp(f["y"][i, c]) * sp.Add(*g["y"].col(c))),
         also=(lambda f, g: sp.Matrix(*f["x"].shape, lambda i, c: g["y"][i, c] + g["lse"][0, c] * sp.exp(f["x"][i, c])
                                      / sp.Add(*[sp.exp(v) for v in f["x"].col(c)])),)),
)
ABOUT = ("Log-softmax over each sample's column, the log of the softmax computed without forming it; with the "
         "negative log-likelihood after it, it is the softmax cross-entropy.")


KIND = Kind("log_softmax", "", build)
