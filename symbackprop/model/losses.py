"""Losses: one entry each, holding everything about that loss.

- ``term(a, y)``: one (output, target) summand before 1/m; E sums it over every output unit and
  sample and divides by m. SymPy's derivative of it is the ground truth;
- ``gradient(a, y, m)``: ∂E/∂A^L_ic as a textbook prints it, proved, not trusted; ``None``:
  SymPy's derivative of the term over m, with sign(0) = 0 at a kink (``output_gradient`` gives
  whichever applies);
- ``collapses``: output activations (by name) for which δ^L has a short textbook form, true for
  any Y; ``short_forms``: shorter still, true only under an assumption on Y stated with them
  (``eliminate`` writes the assumption as a substitution for one target column);
- ``stable_after``: the term written in the output's pre-activation column z where the term in a
  would overflow (bce after sigmoid: y·softplus(−z) + (1 − y)·softplus(z));
- ``numpy`` / ``numpy_gradient`` / ``numpy_collapses``: the hand-written back-prop's own formulas;
  ``autodiff(ops, Z, A, Y)``: the summands in an autodiff library's operations (``None`` where the
  entry has no such form: the reference then refuses, with the reason);
- ``targets``: the range a target must lie in, and how random targets are drawn.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .activations import positive
from .errors import SpecError
from .stable import Expit, LogSumExp, Softplus, expit

Column = Any   # a list of entries, or general.py's column in symbolic form: indexed and iterated


@dataclass(frozen=True)
class ShortForm:
    formula: Callable[[Column, Column, int, int], sp.Expr]
    assumption: str
    eliminate: Callable[[Column], dict]


COLUMNS_SUM_TO_ONE = "every column of Y sums to 1 (one-hot or a distribution)"


def _last_target_from_the_rest(y: Column) -> dict:
    return {y[-1]: 1 - sp.Add(*y[:-1])}


@dataclass(frozen=True)
class Targets:
    """What Y may hold: an interval (None: any real) and how random targets are drawn."""

    low: float | None = None
    high: float | None = None
    one_hot: bool = False             # random targets are one-hot columns
    labels: bool = False              # random targets are 0/1 labels, as a classifier's data are

    def draw(self, rng: np.random.Generator, n: int, m: int) -> np.ndarray:
        if self.one_hot:
            return np.eye(n)[:, rng.integers(n, size=m)]
        if self.labels:
            return rng.integers(0, 2, size=(n, m)).astype(float)
        if self.low is not None and self.high is not None:
            return rng.uniform(self.low, self.high, size=(n, m))
        return rng.normal(size=(n, m))

    def point(self, rng, scale: float) -> float:
        """A random target for a high-precision point: inside the open interval."""
        if self.low is not None and self.high is not None:
            return self.low + (self.high - self.low) * rng.uniform(0.05, 0.95)
        return rng.uniform(-scale, scale)


_z, _a, _y = sp.symbols("z a y", real=True)


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    term: Callable[[sp.Expr, sp.Expr], sp.Expr] = field(compare=False)            # one (a, y) summand, before 1/m
    gradient: Callable[[sp.Expr, sp.Expr, Any], sp.Expr] | None = field(default=None, compare=False)
    collapses: dict[str, Callable[[Column, Column, int, Any], sp.Expr]] = field(default_factory=dict, compare=False)
    short_forms: dict[str, ShortForm] = field(default_factory=dict, compare=False)
    stable_after: dict[str, Callable[[Column, Column, int], sp.Expr]] = field(default_factory=dict, compare=False)
    numpy: Callable[..., Any] | None = field(default=None, compare=False)           # (Z, A, Y) -> summands
    numpy_after: dict[str, Callable[..., Any]] = field(default_factory=dict, compare=False)  # by output activation
    numpy_gradient: Callable[..., Any] | None = field(default=None, compare=False)  # (A, Y) -> m ∂E/∂A
    numpy_collapses: dict[str, Callable[..., Any]] = field(default_factory=dict, compare=False)  # (A, Y) -> m δ^L
    autodiff: Callable[..., Any] | None = field(default=None, compare=False)        # (ops, Z, A, Y) -> summands
    autodiff_after: dict[str, Callable[..., Any]] = field(default_factory=dict, compare=False)
    targets: Targets = Targets()
    parameters: tuple[tuple[str, sp.Expr], ...] = ()
    needs_unit_interval: bool = False
    needs_softmax: bool = False
    kinks: tuple[float, ...] = ()       # residuals a − y where ∂E/∂a jumps (|a − y| at 0)
    analytic: bool = True               # complex-step differentiation applies (no |·|, no pieces)
    suggest: bool = True                # check's "another loss" repair tries it (the classic three)
    example_title: str = ""             # its name for one example, where the title says "mean" (the error at m = 1)

    def error(self, A: list[Column], Y: list[Column], m: Any) -> sp.Expr:
        terms = [self.term(a, y) for a_col, y_col in zip(A, Y, strict=True)
                 for a, y in zip(a_col, y_col, strict=True)]
        return sp.Add(*terms) / m

    def output_gradient(self, a: sp.Expr, y: sp.Expr, m: Any) -> sp.Expr:
        """∂E/∂a for one entry: the textbook form, else SymPy's derivative of the term over m."""
        if self.gradient is not None:
            return self.gradient(a, y, m)
        return (sp.diff(self.term(_a, _y), _a) / m).xreplace({_a: a, _y: y})

    def with_parameters(self, **values: Any) -> Loss:
        if self.name not in PARAMETRISED:
            raise SpecError(f"{self.name} has no parameters; parametrised losses: {', '.join(PARAMETRISED)}")
        return PARAMETRISED[self.name](**values)


def _softmax_cce_delta(a: Column, y: Column, i: int, m) -> sp.Expr:
    # (A^L 1ᵀY − Y)/m: equals (A^L − Y)/m only when the column of Y sums to 1.
    return (a[i] * sp.Add(*y) - y[i]) / m


def _bce_sigmoid(z: Column, y: Column, i: int) -> sp.Expr:
    # −log σ(z) = softplus(−z), −log(1 − σ(z)) = softplus(z)
    return y[i] * Softplus(-z[i]) + (1 - y[i]) * Softplus(z[i])


def _cce_softmax(z: Column, y: Column, i: int) -> sp.Expr:
    # −log softmax(z)_i = LSE(z) − z_i
    return y[i] * (LogSumExp(*z) - z[i])


def _bce_softmax(z: Column, y: Column, i: int) -> sp.Expr:
    # log(1 − softmax(z)_i) = LSE(z without z_i) − LSE(z): the other units' share, never log 0
    rest = z[:i] + z[i + 1:]
    return y[i] * (LogSumExp(*z) - z[i]) + (1 - y[i]) * (LogSumExp(*z) - LogSumExp(*rest))


def _np_log_softmax(Z):
    shifted = Z - Z.max(axis=0)
    return shifted - np.log(np.exp(shifted).sum(axis=0))


def _np_bce(Z, A, Y):
    return -(Y * np.log(A) + (1 - Y) * np.log1p(-A))


def huber(delta: Any = 1) -> Loss:
    """½r² for |r| ≤ δ, δ(|r| − δ/2) beyond, r = a − y: quadratic near the target, linear far from it."""
    d = positive("huber's delta", delta)
    f = float(d)
    return Loss("huber", f"Huber loss (δ = {d})",
                lambda a, y: sp.Piecewise(((a - y) ** 2 / 2, sp.Abs(a - y) <= d), (d * (sp.Abs(a - y) - d / 2), True)),
                numpy=lambda Z, A, Y: np.where(np.abs(A - Y) <= f, (A - Y) ** 2 / 2, f * (np.abs(A - Y) - f / 2)),
                numpy_gradient=lambda A, Y: np.clip(A - Y, -f, f),
                autodiff=lambda ops, Z, A, Y: ops.where(ops.where(A > Y, A - Y, Y - A) <= f, (A - Y) ** 2 / 2,
                                                        f * (ops.where(A > Y, A - Y, Y - A) - f / 2)),
                parameters=(("delta", d),), analytic=False, suggest=False)


PARAMETRISED: dict[str, Callable[..., Loss]] = {"huber": huber}
LOSSES: dict[str, Loss] = {}


def register(entry: Loss) -> Loss:
    """Add a loss to the registry (by its name); returns it."""
    if not isinstance(entry, Loss):
        raise SpecError(f"register takes a Loss; got {type(entry).__name__}")
    LOSSES[entry.name] = entry
    return entry


UNIT = Targets(0.0, 1.0)
for _entry in (
    Loss("mse", "half mean squared error",
         lambda a, y: (a - y) ** 2 / 2,
         lambda a, y, m: (a - y) / m,
         numpy=lambda Z, A, Y: 0.5 * (A - Y) ** 2, numpy_gradient=lambda A, Y: A - Y,
         autodiff=lambda ops, Z, A, Y: 0.5 * (A - Y) ** 2, example_title="half squared error"),
    Loss("bce", "binary cross-entropy",
         lambda a, y: -(y * sp.log(a) + (1 - y) * sp.log(1 - a)),
         lambda a, y, m: (a - y) / (m * a * (1 - a)),
         collapses={"sigmoid": lambda a, y, i, m: (a[i] - y[i]) / m},
         stable_after={"sigmoid": _bce_sigmoid, "softmax": _bce_softmax},
         numpy=_np_bce, numpy_gradient=lambda A, Y: (A - Y) / (A * (1 - A)),
         numpy_after={"sigmoid": lambda Z, A, Y: Y * np.logaddexp(0.0, -Z) + (1 - Y) * np.logaddexp(0.0, Z)},
         numpy_collapses={"sigmoid": lambda A, Y: A - Y},
         autodiff_after={"sigmoid": lambda ops, Z, A, Y: Y * ops.softplus(-Z) + (1 - Y) * ops.softplus(Z),
                         "softmax": lambda ops, Z, A, Y: -(Y * (Z - ops.column_lse(Z)) + (1 - Y) * ops.log(1 - A))},
         targets=Targets(0.0, 1.0, labels=True), needs_unit_interval=True),
    Loss("cce", "categorical cross-entropy",
         lambda a, y: -y * sp.log(a),
         lambda a, y, m: -y / (m * a),
         collapses={"softmax": _softmax_cce_delta},
         short_forms={"softmax": ShortForm(lambda a, y, i, m: (a[i] - y[i]) / m, COLUMNS_SUM_TO_ONE,
                                           _last_target_from_the_rest)},
         stable_after={"softmax": _cce_softmax},
         numpy=lambda Z, A, Y: -Y * _np_log_softmax(Z),
         numpy_collapses={"softmax": lambda A, Y: A * Y.sum(axis=0) - Y},   # the general form, right for any Y
         autodiff=lambda ops, Z, A, Y: -Y * (Z - ops.column_lse(Z)),
         targets=Targets(0.0, 1.0, one_hot=True), needs_softmax=True),
    Loss("mae", "mean absolute error",
         lambda a, y: sp.Abs(a - y), example_title="absolute error",
         numpy=lambda Z, A, Y: np.abs(A - Y), numpy_gradient=lambda A, Y: np.sign(A - Y),
         autodiff=lambda ops, Z, A, Y: ops.where(A > Y, A - Y, ops.where(A < Y, Y - A, 0 * A)),
         kinks=(0.0,), analytic=False, suggest=False),
    # Negative log-likelihood of log-probabilities a (the output of log_softmax): E = −(1/m) Σ y a. Linear in a,
    # so it has no kink and no overflow; it means a log-likelihood only after log_softmax (a layer kind).
    Loss("nll", "negative log-likelihood (of log-probabilities)",
         lambda a, y: -y * a,
         lambda a, y, m: -y / m,
         numpy=lambda Z, A, Y: -Y * A, numpy_gradient=lambda A, Y: -Y,
         autodiff=lambda ops, Z, A, Y: -Y * A,
         targets=Targets(0.0, 1.0, one_hot=True), suggest=False),
    huber(),
    # Logistic cross-entropy on the logit z (sigmoid and bce fused, as PyTorch's BCEWithLogitsLoss):
    # −y log σ(z) − (1 − y) log(1 − σ(z)) = softplus(z) − y z, softplus computed stably as
    # max(z, 0) + log(1 + e^{−|z|}); its gradient σ(z) − y (over m) as every textbook prints it.
    Loss("logistic_ce", "logistic cross-entropy on the logit (sigmoid and bce fused)",
         lambda z, y: Softplus(z) - y * z,
         lambda z, y, m: (Expit(z) - y) / m,
         numpy=lambda Z, A, Y: np.logaddexp(0.0, A) - Y * A, numpy_gradient=lambda A, Y: expit(A) - Y,
         autodiff=lambda ops, Z, A, Y: ops.softplus(A) - Y * A,
         targets=UNIT, suggest=False),
):
    register(_entry)


def loss(spec: str | Loss) -> Loss:
    """An entry from a name ("mse"), a parametrised name ("huber(0.5)", "huber(delta=2)"), or a Loss."""
    if isinstance(spec, Loss):
        return spec
    if not isinstance(spec, str):
        raise SpecError(f"a loss is a name such as 'mse' or a Loss; got {spec!r}")
    text = spec.replace(" ", "")
    if text in LOSSES:
        return LOSSES[text]
    name, _, rest = text.partition("(")
    if name in PARAMETRISED and rest.endswith(")"):
        key, _, value = rest[:-1].rpartition("=")
        if key not in ("", "delta"):
            raise SpecError(f"{name} takes delta; got {key!r}")
        return PARAMETRISED[name](value)
    raise SpecError(f"unknown loss {spec!r}; allowed: {', '.join(LOSSES)}, huber(delta=…)")

