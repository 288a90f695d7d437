"""Layer normalisation: ``layernorm`` (ε = 1/100000) or ``layernorm:1/1000`` (ε exactly).

Forward, for each sample (column) c over its n features (rows) i (Ba, Kiros & Hinton, "Layer Normalization",
arXiv:1607.06450, 2016, eq. 4; the variance is the biased one, over n), with a gain γ and a bias β per
feature, as PyTorch's ``LayerNorm(n)``:

    μ_c = (1/n) Σ_i x_ic,   σ_c² = (1/n) Σ_i (x_ic − μ_c)²,   x̂_ic = (x_ic − μ_c) / √(σ_c² + ε),
    y_ic = γ_i x̂_ic + β_i.

Backward, the compact form (batch normalisation's, with the roles of samples and features exchanged, and the
gain inside the sums because it varies over the normalised axis), with ĝ_ic = γ_i dy_ic and
s_c = √(σ_c² + ε):

    ∂E/∂x_ic = 1 / (n s_c) · (n ĝ_ic − Σ_i' ĝ_i'c − x̂_ic Σ_i' ĝ_i'c x̂_i'c),
    ∂E/∂γ_i = Σ_c dy_ic x̂_ic,   ∂E/∂β_i = Σ_c dy_ic.

Limits: the project's (widths, batch, layers); n ≥ 2 features make the statistics mean something (with one
feature every x̂ is 0); ε a rational number in (0, 1] written exactly.
"""
from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp

from ..errors import SpecError
from .base import Kind, Layer, Values
from .batchnorm import DEFAULT_EPSILON, statistics


def epsilon_of(argument: str) -> sp.Expr:
    if not argument:
        return DEFAULT_EPSILON
    value = None
    if re.fullmatch(r"\d{1,12}(\.\d{1,12})?(/\d{1,12})?", argument):
        try:
            value = Fraction(argument)
        except (ValueError, ZeroDivisionError):
            value = None
    if value is None or not 0 < value <= 1:
        raise SpecError(f"layernorm:ε takes ε exactly, a number in (0, 1] such as 1/1000 or 0.001; got "
                        f"layernorm:{argument}")
    return sp.Rational(value.numerator, value.denominator)


def by_sample(x: sp.Matrix, epsilon: sp.Expr) -> tuple[sp.Matrix, list[sp.Expr]]:
    """(x̂, s): x normalised over each column's features, and each column's √(σ² + ε)."""
    xhat, scale = statistics(x.T, epsilon)
    return xhat.T, scale


def _forward(epsilon: sp.Expr):
    def forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        xhat, _ = by_sample(xs[0], epsilon)
        gamma, beta = values["gamma"], values["beta"]
        return sp.Matrix(*xhat.shape, lambda i, c: gamma[i, 0] * xhat[i, c] + beta[i, 0])
    return forward


def _backward(epsilon: sp.Expr, *, gain_inside: bool = True):
    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        xhat, scale = by_sample(xs[0], epsilon)
        n, m = xhat.shape
        gamma = values["gamma"]
        g = sp.Matrix(n, m, lambda i, c: gamma[i, 0] * dy[i, c] if gain_inside else dy[i, c])
        dx = sp.zeros(n, m)
        for c in range(m):
            sum_g = sp.Add(*g.col(c))
            sum_g_xhat = sp.Add(*[g[i, c] * xhat[i, c] for i in range(n)])
            for i in range(n):
                outside = 1 if gain_inside else gamma[i, 0]
                dx[i, c] = outside * (n * g[i, c] - sum_g - xhat[i, c] * sum_g_xhat) / (n * scale[c])
        dgamma = sp.Matrix(n, 1, lambda i, _: sp.Add(*[dy[i, c] * xhat[i, c] for c in range(m)]))
        dbeta = sp.Matrix(n, 1, lambda i, _: sp.Add(*dy.row(i)))
        return [dx], {"gamma": dgamma, "beta": dbeta}
    return backward


def _autodiff(epsilon: sp.Expr):
    eps = float(epsilon)

    def forward(ops, xs, values):
        x = xs[0]
        n = x.shape[0]
        centred = x - ops.column_sum(x) / n
        variance = ops.column_sum(centred * centred) / n
        return values["gamma"] * centred / ops.sqrt(variance + eps) + values["beta"]
    return forward


TEX_FORWARD = (r"\mu_c = \tfrac{1}{n}\sum_i x_{ic},\quad \sigma_c^2 = \tfrac{1}{n}\sum_i (x_{ic}-\mu_c)^2,\quad "
               r"\hat x_{ic} = \frac{x_{ic}-\mu_c}{\sqrt{\sigma_c^2+\varepsilon}},\quad "
               r"y_{ic} = \gamma_i \hat x_{ic} + \beta_i")
TEX_BACKWARD = (r"\frac{\partial E}{\partial x_{ic}} = \frac{1}{n\sqrt{\sigma_c^2+\varepsilon}}\Bigl(n\,\hat g_{ic} "
                r"- \sum_{i'} \hat g_{i'c} - \hat x_{ic}\sum_{i'} \hat g_{i'c}\hat x_{i'c}\Bigr),\ "
                r"\hat g_{ic} = \gamma_i\, dy_{ic},\quad "
                r"\frac{\partial E}{\partial \gamma_i} = \sum_c dy_{ic}\hat x_{ic},\quad "
                r"\frac{\partial E}{\partial \beta_i} = \sum_c dy_{ic}")


def build(argument: str, widths: tuple[int, ...], *, gain_inside: bool = True) -> Layer:
    epsilon = epsilon_of(argument)
    n = widths[-1]
    if n < 2:
        raise SpecError("layernorm normalises over a sample's features: its input needs at least 2 rows (with one, "
                        "every x̂ is 0)")
    return Layer("layernorm", "layernorm" + (f":{argument}" if argument else ""), n,
                 _forward(epsilon), _backward(epsilon, gain_inside=gain_inside),
                 parameters=(("gamma", (n, 1)), ("beta", (n, 1))),
                 tex_forward=TEX_FORWARD, tex_backward=TEX_BACKWARD, autodiff=_autodiff(epsilon),
                 claim_names=_claim_names(epsilon))


def _claim_names(epsilon: sp.Expr):
    """x̂ (xhat), μ (mu), σ² (var) per sample over its features (rows of 1 × m), ε (eps), the features n (H)."""
    def mean(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return sp.Matrix(1, xs[0].cols, lambda _, c: sp.Add(*xs[0].col(c)) / xs[0].rows)

    def var(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return sp.Matrix(1, xs[0].cols, lambda _, c: by_sample(xs[0], epsilon)[1][c] ** 2 - epsilon)
    return (("xhat", "x̂, each sample normalised over its features", lambda xs, values: by_sample(xs[0], epsilon)[0]),
            ("mu", "μ, each sample's mean over its features", mean),
            ("var", "σ², each sample's (biased) variance over its features", var),
            ("eps", "ε", lambda xs, values: epsilon),
            ("n", "the number of features", lambda xs, values: xs[0].rows),
            ("H", "the number of features (Ba et al.'s H)", lambda xs, values: xs[0].rows))


def planted_gain_outside_the_sums(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: batch norm's dx copied, γ_i outside the sums over features (right only when
    γ is the same for every feature)."""
    return build(argument, widths, gain_inside=False)


KIND = Kind("layernorm", "ε, exactly (default 1/100000)", build,
            limits="n >= 2 features; ε a rational number in (0, 1]")
