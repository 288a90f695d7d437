"""PReLU, an elementwise activation with a trainable slope: ``prelu`` (one slope per unit, the parameter ``a``
of n × 1, as in He et al.'s channel-wise form) or ``prelu:shared`` (one slope for every unit, ``a`` of 1 × 1,
PyTorch's ``PReLU()`` default). He, Zhang, Ren & Sun, "Delving Deep into Rectifiers", ICCV 2015,
arXiv:1502.01852, eqs. 1, 2 and 4:

    y_ic = max(0, x_ic) + a_i min(0, x_ic).

Backward as the paper prints it, ∂E/∂x_ic = dy_ic for x_ic > 0 and a_i dy_ic otherwise, and the slope's
gradient summed over every place it is used (the samples, and the units when shared):

    ∂E/∂x_ic = dy_ic (H(x_ic) + a_i H(−x_ic)),   ∂E/∂a_i = Σ_c dy_ic min(0, x_ic)   (shared: Σ_i Σ_c).

At x = 0 the step H takes the stack's stated value (``relu_at_zero``, h; H(−0) = 1 − h), on both sides alike.

Limits: the project's; not analytic (a kink at 0), so complex step is refused.
"""
from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from .base import Env, Kind, Layer, Stage, Step, Values


def _slope(values: Values, i: int) -> sp.Expr:
    a = values["a"]
    return a[i, 0] if a.rows > 1 else a[0, 0]


def _forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
    x = xs[0]
    return sp.Matrix(*x.shape, lambda i, c: sp.Max(0, x[i, c]) + _slope(values, i) * sp.Min(0, x[i, c]))


def _backward(shared: bool, *, slope_summed: bool = True):
    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        x = xs[0]
        n, m = x.shape
        dx = sp.Matrix(n, m, lambda i, c: dy[i, c] * (sp.Heaviside(x[i, c])
                                                      + _slope(values, i) * sp.Heaviside(-x[i, c])))
        samples = range(m) if slope_summed else range(1)
        per_unit = [sp.Add(*[dy[i, c] * sp.Min(0, x[i, c]) for c in samples]) for i in range(n)]
        da = sp.Matrix([[sp.Add(*per_unit)]]) if shared else sp.Matrix(n, 1, lambda i, _: per_unit[i])
        return [dx], {"a": da}
    return backward


def _autodiff(ops, xs, values):
    x = xs[0]
    return ops.where(x > 0, x, values["a"] * x)


TEX_FORWARD = r"y_{ic} = \max(0, x_{ic}) + a_i \min(0, x_{ic})"
TEX_BACKWARD = (r"\frac{\partial E}{\partial x_{ic}} = dy_{ic}\bigl(H(x_{ic}) + a_i H(-x_{ic})\bigr),\quad "
                r"\frac{\partial E}{\partial a_i} = \sum_c dy_{ic}\min(0, x_{ic})")


def build(argument: str, widths: tuple[int, ...], *, slope_summed: bool = True) -> Layer:
    if argument not in ("", "shared"):
        raise SpecError(f"prelu takes no argument (a slope per unit) or 'shared' (one slope); got prelu:{argument}")
    shared = argument == "shared"
    n = widths[-1]
    return Layer("prelu", "prelu" + (":shared" if shared else ""), n, _forward,
                 _backward(shared, slope_summed=slope_summed),
                 parameters=(("a", (1, 1) if shared else (n, 1)),),
                 tex_forward=TEX_FORWARD, tex_backward=TEX_BACKWARD, analytic=False, autodiff=_autodiff,
                 stages=STAGES, steps=_steps(shared), about=ABOUT)


def planted_slope_from_one_sample(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: ∂E/∂a from the first sample alone, not summed over the batch."""
    return build(argument, widths, slope_summed=False)


KIND = Kind("prelu", "'shared' for one slope (default: one per unit)", build,
            limits="a kink at 0 takes relu_at_zero; no complex step")


def _steps(shared: bool) -> tuple[Step, ...]:
    def dx(f: Env, g: Env) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: g["y"][i, c] * (
            sp.Heaviside(f["x"][i, c]) + _slope(f, i) * sp.Heaviside(-f["x"][i, c])))

    def da(f: Env, g: Env) -> sp.Matrix:
        x = f["x"]
        per_unit = [sp.Add(*[g["y"][i, c] * sp.Min(0, x[i, c]) for c in range(x.cols)]) for i in range(x.rows)]
        return sp.Matrix([[sp.Add(*per_unit)]]) if shared else sp.Matrix(x.rows, 1, lambda i, _: per_unit[i])
    summed = r"\sum_i\sum_c" if shared else r"\sum_c"
    return (
        Step("x", r"\frac{\partial E}{\partial x_{ic}} &= dy_{ic}\,\frac{\partial y_{ic}}{\partial x_{ic}} = "
             r"dy_{ic}\bigl(H(x_{ic}) + a_i\,H(-x_{ic})\bigr)",
             r"$y_{ic}$ reads $x_{ic}$ alone: slope 1 where $x_{ic} > 0$, $a_i$ where $x_{ic} < 0$ (He et al., "
             r"eq. 2).", dx),
        Step("a", rf"\frac{{\partial E}}{{\partial a{'' if shared else '_i'}}} &= {summed} dy_{{ic}}\,"
             r"\frac{\partial y_{ic}}{\partial a_i} = " + summed + r" dy_{ic}\min(0, x_{ic})",
             "The slope is used " + ("by every unit of every sample" if shared else "by unit $i$ of every sample")
             + ": the chain rule sums over every place it is used (He et al., eq. 4).", da),
    )


STAGES = (Stage("y", TEX_FORWARD, lambda f: _forward([f["x"]], f)),)
ABOUT = ("A parametric rectifier (He, Zhang, Ren & Sun, ICCV 2015): a ReLU whose slope $a_i$ for negative inputs "
         "is learned, one per unit (or one shared by every unit).")
