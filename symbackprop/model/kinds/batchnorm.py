"""Batch normalisation in training mode: ``batchnorm`` (ε = 1/100000) or ``batchnorm:1/1000`` (ε exactly).

Forward, for each feature (row) i over the m samples (columns) c of the batch (Ioffe & Szegedy, "Batch
Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift", ICML 2015,
arXiv:1502.03167, Algorithm 1; the variance is the biased one, over m):

    μ_i = (1/m) Σ_c x_ic,   σ_i² = (1/m) Σ_c (x_ic − μ_i)²,   x̂_ic = (x_ic − μ_i) / √(σ_i² + ε),
    y_ic = γ_i x̂_ic + β_i.

Backward, the compact form (the sum of the paper's §3 chain-rule equations for ∂ℓ/∂x̂, ∂ℓ/∂σ², ∂ℓ/∂μ,
collected as in A. Talwar, "Deriving the Gradient for the Backward Pass of Batch Normalization"
(talwarabhimanyu.github.io/blog/2017/06/01/batchnorm-calculus), also K. Zakka's and F. Kratzert's
"Understanding the backward pass through Batch Normalization Layer"), with s_i = √(σ_i² + ε):

    ∂E/∂x_ic = γ_i / (m s_i) · (m dy_ic − Σ_c' dy_ic' − x̂_ic Σ_c' dy_ic' x̂_ic'),
    ∂E/∂γ_i = Σ_c dy_ic x̂_ic,   ∂E/∂β_i = Σ_c dy_ic.

Limits: the project's (widths, batch, layers); m ≥ 2 makes the statistics mean something (with m = 1 every
x̂ is 0), ε > 0 a rational number written exactly (a/b or a decimal), at most 1.
"""
from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp

from ..errors import SpecError
from .base import Env, Kind, Layer, Stage, Step, Values

DEFAULT_EPSILON = sp.Rational(1, 100000)       # PyTorch's default


def statistics(x: sp.Matrix, epsilon: sp.Expr) -> tuple[sp.Matrix, list[sp.Expr]]:
    """(x̂, s): the normalised input and each row's √(σ² + ε), from the batch of x's columns."""
    m = x.shape[1]
    xhat, scale = sp.zeros(*x.shape), []
    for i in range(x.shape[0]):
        row = list(x.row(i))
        mu = sp.Add(*row) / m
        s = sp.sqrt(sp.Add(*[(v - mu) ** 2 for v in row]) / m + epsilon)
        scale.append(s)
        for c, v in enumerate(row):
            xhat[i, c] = (v - mu) / s
    return xhat, scale


def _forward(epsilon: sp.Expr):
    def forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        xhat, _ = statistics(xs[0], epsilon)
        gamma, beta = values["gamma"], values["beta"]
        return sp.Matrix(*xhat.shape, lambda i, c: gamma[i, 0] * xhat[i, c] + beta[i, 0])
    return forward


def _backward(epsilon: sp.Expr, *, mean_term: bool = True):
    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        xhat, scale = statistics(xs[0], epsilon)
        n, m = xhat.shape
        gamma = values["gamma"]
        dx = sp.zeros(n, m)
        for i in range(n):
            sum_dy = sp.Add(*dy.row(i)) if mean_term else 0
            sum_dy_xhat = sp.Add(*[dy[i, c] * xhat[i, c] for c in range(m)])
            for c in range(m):
                dx[i, c] = gamma[i, 0] / (m * scale[i]) * (m * dy[i, c] - sum_dy - xhat[i, c] * sum_dy_xhat)
        dgamma = sp.Matrix(n, 1, lambda i, _: sp.Add(*[dy[i, c] * xhat[i, c] for c in range(m)]))
        dbeta = sp.Matrix(n, 1, lambda i, _: sp.Add(*dy.row(i)))
        return [dx], {"gamma": dgamma, "beta": dbeta}
    return backward


def _autodiff(epsilon: sp.Expr):
    eps = float(epsilon)

    def forward(ops, xs, values):
        x = xs[0]
        m = x.shape[1]
        centred = x - ops.row_sum(x) / m
        variance = ops.row_sum(centred * centred) / m
        return values["gamma"] * centred / ops.sqrt(variance + eps) + values["beta"]
    return forward


TEX_FORWARD = (r"\mu_i = \tfrac{1}{m}\sum_c x_{ic},\quad \sigma_i^2 = \tfrac{1}{m}\sum_c (x_{ic}-\mu_i)^2,\quad "
               r"\hat x_{ic} = \frac{x_{ic}-\mu_i}{\sqrt{\sigma_i^2+\varepsilon}},\quad "
               r"y_{ic} = \gamma_i \hat x_{ic} + \beta_i")
TEX_BACKWARD = (r"\frac{\partial E}{\partial x_{ic}} = \frac{\gamma_i}{m\sqrt{\sigma_i^2+\varepsilon}}\Bigl(m\,dy_{ic} "
                r"- \sum_{c'} dy_{ic'} - \hat x_{ic}\sum_{c'} dy_{ic'}\hat x_{ic'}\Bigr),\quad "
                r"\frac{\partial E}{\partial \gamma_i} = \sum_c dy_{ic}\hat x_{ic},\quad "
                r"\frac{\partial E}{\partial \beta_i} = \sum_c dy_{ic}")


def epsilon_of(argument: str) -> sp.Expr:
    if not argument:
        return DEFAULT_EPSILON
    if not re.fullmatch(r"\d{1,12}(\.\d{1,12})?(/\d{1,12})?", argument):
        raise SpecError(f"batchnorm:ε takes ε exactly, a number in (0, 1] such as 1/1000 or 0.001; got "
                        f"batchnorm:{argument}")
    try:
        value = Fraction(argument)
    except (ValueError, ZeroDivisionError):
        raise SpecError(f"batchnorm:ε takes ε in (0, 1], such as 1/1000; got batchnorm:{argument}") from None
    if not 0 < value <= 1:
        raise SpecError(f"batchnorm:ε takes ε in (0, 1], such as 1/1000; got batchnorm:{argument}")
    return sp.Rational(value.numerator, value.denominator)


def build(argument: str, widths: tuple[int, ...], *, mean_term: bool = True) -> Layer:
    epsilon = epsilon_of(argument)
    n = widths[-1]
    return Layer("batchnorm", "batchnorm" + (f":{argument}" if argument else ""), n,
                 _forward(epsilon), _backward(epsilon, mean_term=mean_term),
                 parameters=(("gamma", (n, 1)), ("beta", (n, 1))),
                 tex_forward=TEX_FORWARD, tex_backward=TEX_BACKWARD, autodiff=_autodiff(epsilon),
                 claim_names=_claim_names(epsilon), stages=_stages(epsilon), steps=_steps(epsilon), about=ABOUT)


def _claim_names(epsilon: sp.Expr):
    """x̂ (xhat), μ (mu), σ² (var) per feature over the batch, ε (eps) and the batch size m (N)."""
    def mean(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return sp.Matrix(xs[0].rows, 1, lambda i, _: sp.Add(*xs[0].row(i)) / xs[0].cols)

    def var(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return sp.Matrix(xs[0].rows, 1, lambda i, _: statistics(xs[0], epsilon)[1][i] ** 2 - epsilon)
    return (("xhat", "x̂, the input normalised over the batch", lambda xs, values: statistics(xs[0], epsilon)[0]),
            ("mu", "μ, each feature's mean over the batch", mean),
            ("var", "σ², each feature's (biased) variance over the batch", var),
            ("eps", "ε", lambda xs, values: epsilon),
            ("m", "the batch size", lambda xs, values: xs[0].cols),
            ("N", "the batch size", lambda xs, values: xs[0].cols))


def planted_without_mean_term(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: dx without the − Σ dy term (the mean's path forgotten)."""
    return build(argument, widths, mean_term=False)


KIND = Kind("batchnorm", "ε, exactly (default 1/100000)", build,
            limits="m >= 2 samples; ε a rational number in (0, 1]")


def _stages(epsilon: sp.Expr) -> tuple[Stage, ...]:
    """The forward rule as Ioffe & Szegedy's Algorithm 1 computes it: μ, σ², x̂, y, each feature i over the batch."""
    def mu(f: Env) -> sp.Matrix:
        return sp.Matrix(f["x"].rows, 1, lambda i, _: sp.Add(*f["x"].row(i)) / f["x"].cols)

    def var(f: Env) -> sp.Matrix:
        x, m = f["x"], f["x"].cols
        return sp.Matrix(x.rows, 1, lambda i, _: sp.Add(*[(x[i, c] - f["mu"][i, 0]) ** 2 for c in range(m)]) / m)

    def xhat(f: Env) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: (f["x"][i, c] - f["mu"][i, 0]) / sp.sqrt(f["var"][i, 0] + epsilon))

    def y(f: Env) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: f["gamma"][i, 0] * f["xhat"][i, c] + f["beta"][i, 0])
    return (Stage("mu", r"\mu_i = \frac{1}{m}\sum_c x_{ic}", mu),
            Stage("var", r"\sigma_i^2 = \frac{1}{m}\sum_c (x_{ic}-\mu_i)^2", var),
            Stage("xhat", r"\hat x_{ic} = \frac{x_{ic}-\mu_i}{\sqrt{\sigma_i^2+\varepsilon}}", xhat),
            Stage("y", r"y_{ic} = \gamma_i\,\hat x_{ic} + \beta_i", y))


def _steps(epsilon: sp.Expr) -> tuple[Step, ...]:
    """Ioffe & Szegedy's §3 chain rule, one intermediate at a time, then collected into the compact dx."""
    def each(f: Env, value) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: value(i, c))

    def feature(f: Env, value) -> sp.Matrix:
        return sp.Matrix(f["x"].rows, 1, lambda i, _: sp.Add(*[value(i, c) for c in range(f["x"].cols)]))

    def root(f: Env, i: int, power: sp.Expr) -> sp.Expr:
        return (f["var"][i, 0] + epsilon) ** power

    def centred(f: Env, i: int, c: int) -> sp.Expr:
        return f["x"][i, c] - f["mu"][i, 0]

    half, m = sp.Rational(1, 2), lambda f: f["x"].cols
    return (
        Step("xhat", r"\frac{\partial E}{\partial \hat x_{ic}} &= \frac{\partial E}{\partial y_{ic}}\,"
             r"\frac{\partial y_{ic}}{\partial \hat x_{ic}} = dy_{ic}\,\gamma_i",
             r"$y_{ic}$ reads $\hat x_{ic}$ alone, times $\gamma_i$.",
             lambda f, g: each(f, lambda i, c: g["y"][i, c] * f["gamma"][i, 0])),
        Step("gamma", r"\frac{\partial E}{\partial \gamma_i} &= \sum_c \frac{\partial E}{\partial y_{ic}}\,"
             r"\frac{\partial y_{ic}}{\partial \gamma_i} = \sum_c dy_{ic}\,\hat x_{ic}",
             r"$\gamma_i$ is used by every sample $c$ of feature $i$: the chain rule sums over them.",
             lambda f, g: feature(f, lambda i, c: g["y"][i, c] * f["xhat"][i, c])),
        Step("beta", r"\frac{\partial E}{\partial \beta_i} &= \sum_c dy_{ic}",
             r"$\beta_i$ likewise, with $\partial y_{ic}/\partial\beta_i = 1$.",
             lambda f, g: feature(f, lambda i, c: g["y"][i, c])),
        Step("var", r"\frac{\partial E}{\partial \sigma_i^2} &= \sum_c \frac{\partial E}{\partial \hat x_{ic}}\,"
             r"\frac{\partial \hat x_{ic}}{\partial \sigma_i^2} = \sum_c \frac{\partial E}{\partial \hat x_{ic}}\,"
             r"(x_{ic}-\mu_i)\cdot\Bigl(-\frac{1}{2}\Bigr)(\sigma_i^2+\varepsilon)^{-3/2}",
             r"$\sigma_i^2$ reaches $E$ through every $\hat x_{ic}$ of its feature ($\mu_i$ held).",
             lambda f, g: feature(f, lambda i, c: g["xhat"][i, c] * centred(f, i, c) * (-half)
                                  * root(f, i, -3 * half))),
        Step("mu", r"\frac{\partial E}{\partial \mu_i} &= \sum_c \frac{\partial E}{\partial \hat x_{ic}}\cdot"
             r"\frac{-1}{\sqrt{\sigma_i^2+\varepsilon}} + \frac{\partial E}{\partial \sigma_i^2}\cdot"
             r"\frac{1}{m}\sum_c -2(x_{ic}-\mu_i)",
             r"$\mu_i$ reaches $E$ through every $\hat x_{ic}$ and through $\sigma_i^2$; the second sum is 0, "
             r"the deviations from "
             "the mean summing to 0.",
             lambda f, g: sp.Matrix(f["x"].rows, 1, lambda i, _: sp.Add(*[
                 g["xhat"][i, c] * -root(f, i, -half) for c in range(m(f))]) + g["var"][i, 0] * sp.Add(*[
                     -2 * centred(f, i, c) for c in range(m(f))]) / m(f))),
        Step("x", r"\frac{\partial E}{\partial x_{ic}} &= \frac{\partial E}{\partial \hat x_{ic}}\cdot"
             r"\frac{1}{\sqrt{\sigma_i^2+\varepsilon}} + \frac{\partial E}{\partial \sigma_i^2}\cdot"
             r"\frac{2(x_{ic}-\mu_i)}{m} + \frac{\partial E}{\partial \mu_i}\cdot\frac{1}{m}",
             r"$x_{ic}$ reaches $E$ by three paths: through $\hat x_{ic}$, through $\sigma_i^2$ and through "
             r"$\mu_i$; their shares add.",
             lambda f, g: each(f, lambda i, c: g["xhat"][i, c] * root(f, i, -half)
                               + g["var"][i, 0] * 2 * centred(f, i, c) / m(f) + g["mu"][i, 0] / m(f))),
        Step("x", r"\frac{\partial E}{\partial x_{ic}} &= \frac{\gamma_i}{m\sqrt{\sigma_i^2+\varepsilon}}"
             r"\Bigl(m\,dy_{ic} - \sum_{c'} dy_{ic'} - \hat x_{ic}\sum_{c'} dy_{ic'}\,\hat x_{ic'}\Bigr)",
             r"The three steps above put in, with $x_{ic}-\mu_i = \sqrt{\sigma_i^2+\varepsilon}\,\hat x_{ic}$: "
             r"the compact form.",
             lambda f, g: each(f, lambda i, c: f["gamma"][i, 0] * root(f, i, -half) / m(f) * (
                 m(f) * g["y"][i, c] - sp.Add(*g["y"].row(i))
                 - f["xhat"][i, c] * sp.Add(*[g["y"][i, k] * f["xhat"][i, k] for k in range(m(f))])))),
    )


ABOUT = ("Batch normalisation (Ioffe & Szegedy, ICML 2015, Algorithm 1 and §3) normalises each feature over "
         r"the $m$ samples of the batch, then scales and shifts it by the trained $\gamma$ and $\beta$. Every "
         r"sample's output "
         r"depends on every other sample of the batch through $\mu$ and $\sigma^2$, which is what makes its "
         r"backward rule "
         "more than a product of local derivatives.")
