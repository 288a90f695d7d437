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
from .base import Env, Kind, Layer, Stage, Step, Values
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
                 claim_names=_claim_names(epsilon), stages=_stages(epsilon), steps=_steps(epsilon), about=ABOUT)


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


def _stages(epsilon: sp.Expr) -> tuple[Stage, ...]:
    """The forward rule as Ba et al. compute it: μ, σ², x̂ for each sample c over its features, then y."""
    def mu(f: Env) -> sp.Matrix:
        return sp.Matrix(1, f["x"].cols, lambda _, c: sp.Add(*f["x"].col(c)) / f["x"].rows)

    def var(f: Env) -> sp.Matrix:
        x, n = f["x"], f["x"].rows
        return sp.Matrix(1, x.cols, lambda _, c: sp.Add(*[(x[i, c] - f["mu"][0, c]) ** 2 for i in range(n)]) / n)

    def xhat(f: Env) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: (f["x"][i, c] - f["mu"][0, c]) / sp.sqrt(f["var"][0, c] + epsilon))

    def y(f: Env) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: f["gamma"][i, 0] * f["xhat"][i, c] + f["beta"][i, 0])
    return (Stage("mu", r"\mu_c = \frac{1}{n}\sum_i x_{ic}", mu),
            Stage("var", r"\sigma_c^2 = \frac{1}{n}\sum_i (x_{ic}-\mu_c)^2", var),
            Stage("xhat", r"\hat x_{ic} = \frac{x_{ic}-\mu_c}{\sqrt{\sigma_c^2+\varepsilon}}", xhat),
            Stage("y", r"y_{ic} = \gamma_i\,\hat x_{ic} + \beta_i", y))


def _steps(epsilon: sp.Expr) -> tuple[Step, ...]:
    """Batch normalisation's chain rule with samples and features exchanged; γ_i stays inside the sums."""
    def each(f: Env, value) -> sp.Matrix:
        return sp.Matrix(*f["x"].shape, lambda i, c: value(i, c))

    def per_sample(f: Env, value) -> sp.Matrix:
        return sp.Matrix(1, f["x"].cols, lambda _, c: sp.Add(*[value(i, c) for i in range(f["x"].rows)]))

    def per_feature(f: Env, value) -> sp.Matrix:
        return sp.Matrix(f["x"].rows, 1, lambda i, _: sp.Add(*[value(i, c) for c in range(f["x"].cols)]))

    def root(f: Env, c: int, power: sp.Expr) -> sp.Expr:
        return (f["var"][0, c] + epsilon) ** power

    def centred(f: Env, i: int, c: int) -> sp.Expr:
        return f["x"][i, c] - f["mu"][0, c]

    half, n = sp.Rational(1, 2), lambda f: f["x"].rows
    return (
        Step("xhat", r"\frac{\partial E}{\partial \hat x_{ic}} &= dy_{ic}\,\gamma_i = \hat g_{ic}",
             r"$y_{ic}$ reads $\hat x_{ic}$ alone, times $\gamma_i$; call it $\hat g_{ic}$.",
             lambda f, g: each(f, lambda i, c: g["y"][i, c] * f["gamma"][i, 0])),
        Step("gamma", r"\frac{\partial E}{\partial \gamma_i} &= \sum_c dy_{ic}\,\hat x_{ic}",
             r"$\gamma_i$ is used by feature $i$ of every sample: a sum over the batch.",
             lambda f, g: per_feature(f, lambda i, c: g["y"][i, c] * f["xhat"][i, c])),
        Step("beta", r"\frac{\partial E}{\partial \beta_i} &= \sum_c dy_{ic}", r"$\beta_i$ likewise.",
             lambda f, g: per_feature(f, lambda i, c: g["y"][i, c])),
        Step("var", r"\frac{\partial E}{\partial \sigma_c^2} &= \sum_i \hat g_{ic}\,(x_{ic}-\mu_c)\cdot"
             r"\Bigl(-\frac{1}{2}\Bigr)(\sigma_c^2+\varepsilon)^{-3/2}",
             r"$\sigma_c^2$ reaches $E$ through every $\hat x_{ic}$ of its sample.",
             lambda f, g: per_sample(f, lambda i, c: g["xhat"][i, c] * centred(f, i, c) * (-half)
                                     * root(f, c, -3 * half))),
        Step("mu", r"\frac{\partial E}{\partial \mu_c} &= \sum_i \hat g_{ic}\cdot"
             r"\frac{-1}{\sqrt{\sigma_c^2+\varepsilon}}"
             r" + \frac{\partial E}{\partial \sigma_c^2}\cdot\frac{1}{n}\sum_i -2(x_{ic}-\mu_c)",
             r"$\mu_c$ reaches $E$ through every $\hat x_{ic}$ and through $\sigma_c^2$ (whose share is 0: the "
             r"deviations sum to 0).",
             lambda f, g: sp.Matrix(1, f["x"].cols, lambda _, c: sp.Add(*[
                 g["xhat"][i, c] * -root(f, c, -half) for i in range(n(f))]) + g["var"][0, c] * sp.Add(*[
                     -2 * centred(f, i, c) for i in range(n(f))]) / n(f))),
        Step("x", r"\frac{\partial E}{\partial x_{ic}} &= \frac{\hat g_{ic}}{\sqrt{\sigma_c^2+\varepsilon}} + "
             r"\frac{\partial E}{\partial \sigma_c^2}\cdot\frac{2(x_{ic}-\mu_c)}{n} + "
             r"\frac{\partial E}{\partial \mu_c}\cdot\frac{1}{n}",
             r"$x_{ic}$ reaches $E$ through $\hat x_{ic}$, $\sigma_c^2$ and $\mu_c$; their shares add.",
             lambda f, g: each(f, lambda i, c: g["xhat"][i, c] * root(f, c, -half)
                               + g["var"][0, c] * 2 * centred(f, i, c) / n(f) + g["mu"][0, c] / n(f))),
        Step("x", r"\frac{\partial E}{\partial x_{ic}} &= \frac{1}{n\sqrt{\sigma_c^2+\varepsilon}}\Bigl(n\,\hat g_{ic}"
             r" - \sum_{i'} \hat g_{i'c} - \hat x_{ic}\sum_{i'} \hat g_{i'c}\,\hat x_{i'c}\Bigr)",
             r"Collected, with $x_{ic}-\mu_c = \sqrt{\sigma_c^2+\varepsilon}\,\hat x_{ic}$: batch "
             r"normalisation's compact form over the "
             r"features, with $\gamma_i$ inside the sums because it varies over them.",
             lambda f, g: each(f, lambda i, c: root(f, c, -half) / n(f) * (
                 n(f) * g["xhat"][i, c] - sp.Add(*g["xhat"].col(c))
                 - f["xhat"][i, c] * sp.Add(*[g["xhat"][k, c] * f["xhat"][k, c] for k in range(n(f))])))),
    )


ABOUT = ("Layer normalisation (Ba, Kiros & Hinton, 2016) normalises each sample over its own $n$ features, "
         r"then scales and shifts each feature by the trained $\gamma$ and $\beta$; unlike batch normalisation "
         r"it does not "
         "mix the samples of a batch.")
