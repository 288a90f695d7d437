"""A simple recurrent (Elman) layer unrolled over T steps: ``rnn:H/T`` (H hidden units, 1 ≤ T ≤ 4 steps).

How the sequence enters: a sample (one column of the batch) is the whole sequence, step by step: row t·D + d
is x_t[d] (0-based t, d), so the input width is T·D and D, the features per step, is that width over T. The
layer writes every hidden state, step by step: row t·H + j is h_t[j], width T·H (a dense layer after it reads
them all; a loss on it sees every step). The weights are shared over time: ``Wx`` (H × D), ``Wh`` (H × H),
``b`` (H × 1). Forward (Elman, "Finding Structure in Time", Cognitive Science 14, 1990), h_0 = 0:

    h_t = tanh(Wx x_t + Wh h_{t−1} + b),   t = 1 … T.

Backward, back-propagation through time as textbooks print it (Goodfellow, Bengio & Courville, *Deep
Learning*, §10.2.2; the CS231n RNN notes): dh_t = ∂E/∂h_t from the layer's output, δ_{T+1} = 0,

    δ_t = (dh_t + Whᵀ δ_{t+1}) ⊙ (1 − h_t ⊙ h_t),   ∂E/∂x_t = Wxᵀ δ_t,
    ∂E/∂Wx = Σ_t δ_t x_tᵀ,   ∂E/∂Wh = Σ_t δ_t h_{t−1}ᵀ,   ∂E/∂b = Σ_t Σ_samples δ_t,

every gradient summed over the time steps because the weights are shared by them (tanh′ is written in the
output, 1 − h², as the textbooks write it).

Limits: the project's (widths, batch, parameters); T from 1 to 4 and T divides the input width.
"""
from __future__ import annotations

import re

import sympy as sp

from ..errors import SpecError
from .base import Env, Kind, Layer, Stage, Step, Values

MAX_STEPS = 4


def _shape(argument: str, widths: tuple[int, ...]) -> tuple[int, int, int]:
    """(H, T, D) from the argument and the input width."""
    match = re.fullmatch(r"(\d{1,4})/(\d{1,2})", argument)
    if match is None:
        raise SpecError(f"rnn takes H/T (hidden units, time steps), such as rnn:3/4; got rnn:{argument}")
    H, T = int(match.group(1)), int(match.group(2))
    if H < 1 or not 1 <= T <= MAX_STEPS:
        raise SpecError(f"rnn:H/T takes H >= 1 hidden units and T from 1 to {MAX_STEPS} steps; got rnn:{argument}")
    n = widths[-1]
    if n % T:
        raise SpecError(f"rnn:{argument} reads {T} steps but its input has {n} rows, not a multiple of {T} (a sample "
                        f"is the sequence x_1 … x_T, step by step)")
    return H, T, n // T


def _block(M: sp.Matrix, t: int, size: int) -> sp.Matrix:
    return M[t * size:(t + 1) * size, :]


def _forward(H: int, T: int, D: int):
    def forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        x, Wx, Wh, b = xs[0], values["Wx"], values["Wh"], values["b"]
        ones = sp.ones(1, x.shape[1])
        h, states = sp.zeros(H, x.shape[1]), []
        for t in range(T):
            h = (Wx * _block(x, t, D) + Wh * h + b * ones).applyfunc(sp.tanh)
            states.append(h)
        return sp.Matrix.vstack(*states)
    return forward


def _backward(H: int, T: int, D: int, *, through_time: bool = True):
    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        x, Wx, Wh = xs[0], values["Wx"], values["Wh"]
        m = x.shape[1]
        dWx, dWh, db = sp.zeros(H, D), sp.zeros(H, H), sp.zeros(H, 1)
        dxs: list[sp.Matrix] = [sp.zeros(D, m)] * T
        after = sp.zeros(H, m)                                    # δ_{t+1}, 0 past the last step
        for t in range(T - 1, -1, -1):
            h = _block(y, t, H)
            previous = _block(y, t - 1, H) if t > 0 else sp.zeros(H, m)
            upstream = _block(dy, t, H) + (Wh.T * after if through_time else sp.zeros(H, m))
            delta = upstream.multiply_elementwise(h.applyfunc(lambda v: 1 - v ** 2))
            dWx += delta * _block(x, t, D).T
            dWh += delta * previous.T
            db += delta * sp.ones(m, 1)
            dxs[t] = Wx.T * delta
            after = delta
        return [sp.Matrix.vstack(*dxs)], {"Wx": dWx, "Wh": dWh, "b": db}
    return backward


def _autodiff(H: int, T: int, D: int):
    def forward(ops, xs, values):
        x, Wx, Wh, b = xs[0], values["Wx"], values["Wh"], values["b"]
        h, states = None, []
        for t in range(T):
            u = Wx @ x[t * D:(t + 1) * D, :] + b
            h = ops.tanh(u if h is None else u + Wh @ h)
            states.append(h)
        return ops.rows(states)
    return forward


TEX_FORWARD = r"h_t = \tanh\left(W_x x_t + W_h h_{t-1} + b\right),\quad h_0 = 0"
TEX_BACKWARD = (r"\delta_t = \left(dh_t + W_h^{\mathsf T}\delta_{t+1}\right)\odot\left(1 - h_t\odot h_t\right),\quad "
                r"\frac{\partial E}{\partial x_t} = W_x^{\mathsf T}\delta_t,\quad "
                r"\frac{\partial E}{\partial W_x} = \sum_t \delta_t x_t^{\mathsf T},\quad "
                r"\frac{\partial E}{\partial W_h} = \sum_t \delta_t h_{t-1}^{\mathsf T},\quad "
                r"\frac{\partial E}{\partial b} = \sum_t \sum_c \delta_{t,\cdot c}")


def build(argument: str, widths: tuple[int, ...], *, through_time: bool = True) -> Layer:
    H, T, D = _shape(argument, widths)
    stages, steps = _derivation(H, T, D)
    return Layer("rnn", f"rnn:{argument}", T * H, _forward(H, T, D), _backward(H, T, D, through_time=through_time),
                 parameters=(("Wx", (H, D)), ("Wh", (H, H)), ("b", (H, 1))),
                 tex_forward=TEX_FORWARD, tex_backward=TEX_BACKWARD, autodiff=_autodiff(H, T, D),
                 stages=stages, steps=steps, about=ABOUT, claim_names=_claim_names(H, T, D),
                 gradient_aliases=tuple((f"delta{t}", f"a{t}") for t in range(1, T + 1)))


def planted_truncated_to_one_step(argument: str, widths: tuple[int, ...]) -> Layer:
    """A wrong rule for the tests: BPTT truncated to one step, δ_t = dh_t ⊙ (1 − h_t²) without Whᵀ δ_{t+1}."""
    return build(argument, widths, through_time=False)


KIND = Kind("rnn", "H/T: hidden units, time steps (the input is the T steps' features, step by step)", build,
            limits=f"T from 1 to {MAX_STEPS}, dividing the input width; tanh; h_0 = 0")


def _tanh_of(t: int):
    def value(f: Env) -> sp.Matrix:
        return f[f"a{t}"].applyfunc(sp.tanh)
    return value


def _through_tanh(t: int):
    """δ_t = ∂E/∂h_t ⊙ (1 − h_t ⊙ h_t)."""
    def value(f: Env, g: Env) -> sp.Matrix:
        return g[f"h{t}"].multiply_elementwise(f[f"h{t}"].applyfunc(lambda v: 1 - v ** 2))
    return value


def _derivation(H: int, T: int, D: int) -> tuple[tuple[Stage, ...], tuple[Step, ...]]:
    """The unrolled forward pass as stages a_t (the pre-activation) and h_t, step by step; the derivation goes
    back through time: ∂E/∂h_t from the layer's output and from step t + 1, δ_t = ∂E/∂a_t, then the shared
    weights' gradients summed over every step."""
    def pre(t: int):
        def value(f: Env) -> sp.Matrix:
            m = f["x"].cols
            previous = f[f"h{t - 1}"] if t > 1 else sp.zeros(H, m)
            return f["Wx"] * _block(f["x"], t - 1, D) + f["Wh"] * previous + f["b"] * sp.ones(1, m)
        return value

    stages: list[Stage] = []
    for t in range(1, T + 1):
        recurrent = rf" + W_h h_{t - 1}" if t > 1 else ""
        stages += [Stage(f"a{t}", rf"a_{t} = W_x x_{t}{recurrent} + b", pre(t)),
                   Stage(f"h{t}", rf"h_{t} = \tanh(a_{t})", _tanh_of(t))]

    def output(f: Env) -> sp.Matrix:
        return sp.Matrix.vstack(*[f[f"h{t}"] for t in range(1, T + 1)])
    stages.append(Stage("y", r"y = h_1" if T == 1 else rf"y = (h_1, \dots, h_{T})", output))

    def hidden(t: int):
        def value(f: Env, g: Env) -> sp.Matrix:
            own = _block(g["y"], t - 1, H)
            return own + f["Wh"].T * g[f"a{t + 1}"] if t < T else own
        return value

    steps: list[Step] = []
    for t in range(T, 0, -1):
        later = rf" + W_h^{{\mathsf T}}\delta_{t + 1}" if t < T else ""
        steps += [
            Step(f"h{t}", rf"\frac{{\partial E}}{{\partial h_{t}}} &= dh_{t}{later}",
                 f"$h_{t}$ reaches $E$ through the layer's output ($dh_{t}$, what the layer above sends for step {t})"
                 + (f" and through $a_{t + 1} = \\dots + W_h h_{t}$: both shares add." if t < T else
                    ", and through nothing else: it is the last step."), hidden(t)),
            Step(f"a{t}", rf"\delta_{t} = \frac{{\partial E}}{{\partial a_{t}}} &= "
                 rf"\frac{{\partial E}}{{\partial h_{t}}}"
                 rf"\odot\bigl(1 - h_{t}\odot h_{t}\bigr)",
                 f"$h_{t} = \\tanh(a_{t})$ elementwise, and $\\tanh' = 1 - \\tanh^2$.",
                 _through_tanh(t)),
        ]
    delta = lambda g, t: g[f"a{t}"]      # noqa: E731
    steps += [
        Step("x", r"\frac{\partial E}{\partial x_t} &= W_x^{\mathsf T}\delta_t",
             r"$x_t$ is read by step $t$ alone, through $a_t = W_x x_t + \dots$",
             lambda f, g: sp.Matrix.vstack(*[f["Wx"].T * delta(g, t) for t in range(1, T + 1)])),
        Step("Wx", r"\frac{\partial E}{\partial W_x} &= \sum_{t=1}^{T} \delta_t\, x_t^{\mathsf T}",
             r"$W_x$ is shared by every time step: the chain rule sums its gradient over them (and over the samples, "
             "in the matrix product).",
             lambda f, g: sp.Add(*[delta(g, t) * _block(f["x"], t - 1, D).T for t in range(1, T + 1)], sp.zeros(H, D))),
        Step("Wh", r"\frac{\partial E}{\partial W_h} &= \sum_{t=2}^{T} \delta_t\, h_{t-1}^{\mathsf T}",
             r"$W_h$ likewise; step 1 reads $h_0 = 0$ and adds nothing.",
             lambda f, g: sp.Add(*[delta(g, t) * f[f"h{t - 1}"].T for t in range(2, T + 1)], sp.zeros(H, H))),
        Step("b", r"\frac{\partial E}{\partial b} &= \sum_{t=1}^{T} \delta_t\,\mathbf{1}",
             r"$b$ likewise, summed over the steps and the samples.",
             lambda f, g: sp.Add(*[delta(g, t) * sp.ones(f["x"].cols, 1) for t in range(1, T + 1)], sp.zeros(H, 1))),
    ]
    return tuple(stages), tuple(steps)


def _claim_names(H: int, T: int, D: int):
    """Time steps as a claim writes them: x1[t] (x_t), dy1[t] (the output's share of ∂E/∂h_t, the textbooks'
    dh_t) and h1[0] = 0; the stages a1[t], h1[t] and their ∂E/∂ (dh1[t], delta1[t]) come from the stages."""
    def block(name: str, t: int, size: int):
        def value(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
            return _block(xs[0] if name == "x" else values[name], t - 1, size)
        return value
    names = [("h0", "h_0 = 0", lambda xs, values: sp.zeros(H, xs[0].cols))]
    for t in range(1, T + 1):
        names += [(f"x{t}", f"x_{t}, the input at step {t}", block("x", t, D)),
                  (f"dy{t}", f"the output's share of ∂E/∂h_{t}", block("dy", t, H))]
    return tuple(names)


ABOUT = ("A simple recurrent (Elman) layer unrolled over T time steps: the same weights $W_x$, $W_h$ and $b$ are used "
         "at every step, each step reading the input $x_t$ and the previous hidden state. Back-propagation "
         "through time is the chain rule on that unrolled graph.")
