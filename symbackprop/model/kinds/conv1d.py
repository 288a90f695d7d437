"""A 1-D convolution with shared weights, stride 1, no padding: ``conv1d:C_in/C_out/K``.

A sample (one column of the batch) holds C_in channels of length L_in, channel by channel: row c·L_in + t
is x[c, t] (0-based c, t), so the layer's input width must be C_in·L_in. It has C_out filters of kernel
length K (1 ≤ K ≤ L_in) and writes C_out channels of length L_out = L_in − K + 1, row f·L_out + t being
y[f, t]. The weights are one matrix ``W`` of C_out rows and C_in·K columns, W[f, c·K + k] = w[f, c, k]
(reported 1-based: ``W1[f+1, c·K+k+1]``), and the bias ``b`` has one entry per filter. Forward (a
cross-correlation, as every deep-learning library computes a "convolution"):

    y[f, t] = Σ_c Σ_k w[f, c, k] x[c, t + k] + b[f].

Backward as textbooks print it (e.g. Goodfellow, Bengio & Courville, *Deep Learning*, §9.5; the CS231n
notes): the weight gradient is a correlation of the input with the upstream gradient, summed over every
output position t (the weight is shared by all of them) and every sample; the input gradient is a full
convolution of dy (padded with K − 1 zeros on both sides) with the flipped kernel w̃[f, c, j] = w[f, c, K−1−j]:

    ∂E/∂w[f, c, k] = Σ_samples Σ_t dy[f, t] x[c, t + k],   ∂E/∂b[f] = Σ_samples Σ_t dy[f, t],
    ∂E/∂x[c, s] = Σ_f Σ_j w̃[f, c, j] dy_pad[f, s + j].

Limits: the project's (widths, batch, parameters); C_in divides the input width, 1 ≤ K ≤ L_in.
"""
from __future__ import annotations

import re

import sympy as sp

from ..errors import SpecError
from .base import Env, Kind, Layer, Stage, Step, Values


def _shape(argument: str, widths: tuple[int, ...]) -> tuple[int, int, int, int]:
    """(C_in, C_out, K, L_in) from the argument and the input width."""
    match = re.fullmatch(r"(\d{1,4})/(\d{1,4})/(\d{1,4})", argument)
    if match is None:
        raise SpecError(f"conv1d takes C_in/C_out/K (input channels, filters, kernel length), such as "
                        f"conv1d:2/3/2; got conv1d:{argument}")
    c_in, c_out, k = (int(g) for g in match.groups())
    if min(c_in, c_out, k) < 1:
        raise SpecError(f"conv1d:C_in/C_out/K takes whole numbers >= 1; got conv1d:{argument}")
    n = widths[-1]
    if n % c_in:
        raise SpecError(f"conv1d:{argument} reads {c_in} channels but its input has {n} rows, not a multiple of "
                        f"{c_in} (a sample is C_in channels of equal length, channel by channel)")
    length = n // c_in
    if k > length:
        raise SpecError(f"conv1d:{argument}: kernel {k} is longer than the input's {length} positions per channel")
    return c_in, c_out, k, length


def _forward(c_in: int, c_out: int, K: int, length: int):
    out = length - K + 1

    def forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        x, W, b = xs[0], values["W"], values["b"]
        return sp.Matrix(c_out * out, x.shape[1], lambda r, s: sp.Add(*[
            W[r // out, c * K + k] * x[c * length + r % out + k, s] for c in range(c_in) for k in range(K)])
            + b[r // out, 0])
    return forward


def _backward(c_in: int, c_out: int, K: int, length: int, *, summed: bool = True):
    out = length - K + 1

    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        x, W = xs[0], values["W"]
        m = x.shape[1]
        positions = range(out) if summed else range(1)
        # the weight gradient: x correlated with dy, summed over positions and samples
        dW = sp.Matrix(c_out, c_in * K, lambda f, ck: sp.Add(*[
            dy[f * out + t, s] * x[(ck // K) * length + t + ck % K, s] for s in range(m) for t in positions]))
        db = sp.Matrix(c_out, 1, lambda f, _: sp.Add(*[dy[f * out + t, s] for s in range(m) for t in range(out)]))
        # the input gradient: dy padded with K − 1 zeros each side, convolved with the flipped kernel
        pad = K - 1

        def padded(f: int, p: int, s: int) -> sp.Expr:
            return dy[f * out + p - pad, s] if pad <= p < pad + out else sp.Integer(0)

        def flipped(f: int, c: int, j: int) -> sp.Expr:
            return W[f, c * K + K - 1 - j]

        dx = sp.Matrix(c_in * length, m, lambda r, s: sp.Add(*[
            flipped(f, r // length, j) * padded(f, r % length + j, s) for f in range(c_out) for j in range(K)]))
        return [dx], {"W": dW, "b": db}
    return backward


def _autodiff(c_in: int, c_out: int, K: int, length: int):
    out = length - K + 1

    def forward(ops, xs, values):
        x, W, b = xs[0], values["W"], values["b"]
        blocks = []
        for f in range(c_out):
            block = b[f:f + 1, :]
            for c in range(c_in):
                for k in range(K):
                    start = c * length + k
                    block = block + W[f:f + 1, c * K + k:c * K + k + 1] * x[start:start + out, :]
            blocks.append(block)
        return ops.rows(blocks)
    return forward


TEX_FORWARD = r"y^{(n)}_{f,t} = \sum_{c}\sum_{k} w_{f,c,k}\, x^{(n)}_{c,t+k} + b_f"
TEX_BACKWARD = (r"\frac{\partial E}{\partial w_{f,c,k}} = \sum_n\sum_{t} dy^{(n)}_{f,t}\, x^{(n)}_{c,t+k},\quad "
                r"\frac{\partial E}{\partial b_f} = \sum_n\sum_t dy^{(n)}_{f,t},\quad "
                r"\frac{\partial E}{\partial x^{(n)}_{c,u}} = \sum_f \sum_j \tilde w_{f,c,j}\, "
                r"dy^{\mathrm{pad}(n)}_{f,u+j},\quad \tilde w_{f,c,j} = w_{f,c,K-1-j}")


def build(argument: str, widths: tuple[int, ...], *, summed: bool = True) -> Layer:
    c_in, c_out, K, length = _shape(argument, widths)
    shape = (c_in, c_out, K, length)
    stages, steps = _derivation(*shape)
    return Layer("conv1d", f"conv1d:{argument}", c_out * (length - K + 1), _forward(*shape),
                 _backward(*shape, summed=summed),
                 parameters=(("W", (c_out, c_in * K)), ("b", (c_out, 1))),
                 tex_forward=TEX_FORWARD, tex_backward=TEX_BACKWARD, autodiff=_autodiff(*shape),
                 stages=stages, steps=steps, about=ABOUT)


def planted_not_summed_over_positions(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: ∂E/∂w from the first output position alone, as if w were not shared."""
    return build(argument, widths, summed=False)


KIND = Kind("conv1d", "C_in/C_out/K: input channels, filters, kernel length", build,
            limits="C_in divides the input width; 1 <= K <= the input length; stride 1, no padding")


def _derivation(c_in: int, c_out: int, K: int, length: int) -> tuple[tuple[Stage, ...], tuple[Step, ...]]:
    """The forward rule as one stage, and the three gradients by the chain rule: a weight is shared by every
    output position and sample, so its gradient sums over them; an input position reaches every output
    position whose window covers it, which is a full convolution with the flipped kernel."""
    out = length - K + 1
    rule = _backward(c_in, c_out, K, length)
    forward = _forward(c_in, c_out, K, length)

    def by_rule(f: Env, g: Env) -> tuple[list[sp.Matrix], Values]:
        return rule([f["x"]], f["y"], f, g["y"])

    def by_windows(f: Env, g: Env) -> sp.Matrix:            # Σ_f Σ_{t + k = u} dy[f, t] w[f, c, k]
        W, dy = f["W"], g["y"]
        return sp.Matrix(c_in * length, dy.cols, lambda r, n: sp.Add(*[
            dy[fi * out + t, n] * W[fi, (r // length) * K + (r % length - t)]
            for fi in range(c_out) for t in range(out) if 0 <= r % length - t < K]))
    stages = (Stage("y", TEX_FORWARD, lambda f: forward([f["x"]], f)),)
    steps = (
        Step("W", r"\frac{\partial E}{\partial w_{f,c,k}} &= \sum_n\sum_t dy^{(n)}_{f,t}\,"
             r"\frac{\partial y^{(n)}_{f,t}}{\partial w_{f,c,k}} = \sum_n\sum_t dy^{(n)}_{f,t}\,x^{(n)}_{c,t+k}",
             r"The weight $w_{f,c,k}$ is shared by every output position $t$ and every sample $n$: the chain rule sums "
             "over all of them, a correlation of the input with dy.",
             lambda f, g: by_rule(f, g)[1]["W"]),
        Step("b", r"\frac{\partial E}{\partial b_f} &= \sum_n\sum_t dy^{(n)}_{f,t}",
             r"The bias of filter $f$ likewise, with $\partial y/\partial b_f = 1$.",
             lambda f, g: by_rule(f, g)[1]["b"]),
        Step("x", r"\frac{\partial E}{\partial x^{(n)}_{c,u}} &= \sum_f\sum_{t+k=u} dy^{(n)}_{f,t}\,w_{f,c,k} = "
             r"\sum_f\sum_{j=0}^{K-1} \tilde w_{f,c,j}\,dy^{\mathrm{pad}(n)}_{f,u+j}",
             r"Input position $u$ is read by every output position $t$ whose window covers it ($t + k = u$); with $dy$ "
             r"padded by $K-1$ zeros on each side and the kernel flipped, $\tilde w_{f,c,j} = w_{f,c,K-1-j}$, that sum "
             "is a full convolution.",
             lambda f, g: by_rule(f, g)[0][0], also=(by_windows,)),
    )
    return stages, steps


ABOUT = ("A one-dimensional convolution with shared weights, stride 1 and no padding, computed as every "
         r"deep-learning library computes it (a cross-correlation): $C_\mathrm{in}$ channels of length $L$ in, "
         r"$C_\mathrm{out}$ filters "
         r"of kernel length $K$, $C_\mathrm{out}$ channels of length $L-K+1$ out. Samples are indexed $n$ here, "
         r"channels $c$.")
