"""Verification: prove every partial equal to its closed form, or show a counterexample.

The proof is an induction over layers, stated as such. Base: δ^L_ic equals ∂E/∂Z^L_ic as
SymPy's chain rule computes it from E. Step: if δ^{l+1} = ∂E/∂Z^{l+1} (both held as the same free
symbols), δ^l_ic equals the chain rule one layer back. Then each ∂E/∂W^l_ij and ∂E/∂b^l_i equals
its δ^l expression. A parameter is proved when its own step and every δ step it rests on are.
Each equation is tried exactly first (identity.exact_zero); where no exact method applies it is
tested at random points at 50 digits and reported as ``numeric``, never ``proved``.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fractions import Fraction

import sympy as sp

from .derive import Derivation, Step
from .identity import exact_zero
from .points import DIGITS, STAND_IN, Point, random_point

PROVED, NUMERIC, FAILED = "proved", "numeric", "failed"
SCALES = (1, 1, 2, 3, 4)          # spread of each random point's inputs (see points.random_point)
POINTS = len(SCALES)
TOLERANCE = 1e-30              # relative residual, computed at 100 digits
METHODS = {"structural": "exact: expands to 0",
           "rational": "exact: rational identity",
           "structural in Z": "exact: expands to 0 once A = g(Z)",
           "rational in Z": "exact: rational identity in exp(Z) once A = g(Z)"}
INDUCTION = "exact: induction over layers"


@dataclass(frozen=True)
class Counterexample:
    """Where the two sides differ: the inputs, and the direct and closed values there."""

    point: dict[str, float]
    direct: float
    closed: float


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    method: str
    residual: float | None = None
    counterexample: Counterexample | None = None

    @property
    def ok(self) -> bool:
        return self.status != FAILED

    def __str__(self) -> str:
        text = f"{self.name}: {self.status} ({self.method})"
        if self.counterexample:
            text += f"; direct {self.counterexample.direct:.10g} != closed {self.counterexample.closed:.10g}"
        return text


@dataclass(frozen=True)
class Report:
    """Per-parameter results, and the δ steps the induction rests on."""

    derivation: Derivation
    parameters: tuple[Result, ...]
    steps: tuple[Result, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.parameters + self.steps)

    def __getitem__(self, name: str) -> Result:
        for r in self.parameters + self.steps:
            if r.name == name:
                return r
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.parameters) for s in (PROVED, NUMERIC, FAILED)}

    def to_dict(self) -> dict:
        net = self.derivation.net
        return {"ok": self.ok, "network": {"sizes": list(net.sizes), "activations": list(net.layer_activations),
                                           "loss": net.loss, "batch": net.batch,
                                           "weight_decay": _json_number(net.weight_decay)},
                "counts": self.counts(), "seconds": round(self.seconds, 4),
                "parameters": [asdict(r) for r in self.parameters],
                "steps": [asdict(r) for r in self.steps]}


def _json_number(value):
    return str(value) if isinstance(value, Fraction) else value


def _residual(direct: sp.Expr, closed: sp.Expr) -> float:
    """Relative difference; infinite where either side is not a finite real number."""
    if not all(v.is_number and v.is_finite and v.is_extended_real for v in (direct, closed)):
        return float("inf")
    scale = max(1.0, abs(float(direct)), abs(float(closed)))
    return float(abs(direct - closed)) / scale


def _float(value: sp.Expr) -> float:
    return float(value) if value.is_number and value.is_finite and value.is_extended_real else float("nan")


def numeric_test(d: Derivation, direct: sp.Expr, closed: sp.Expr, seed: int) -> tuple[float, Counterexample | None]:
    """Largest residual over POINTS random points of growing spread; the first point beyond
    TOLERANCE (or where a side is not a finite real number) as a counterexample."""
    worst = 0.0
    for k, scale in enumerate(SCALES):
        point: Point = random_point(d.forward, seed + k, scale)
        lhs, rhs = point.evaluate(direct), point.evaluate(closed)
        residual = _residual(lhs, rhs)
        worst = max(worst, residual)
        if not residual <= TOLERANCE:
            return residual, Counterexample(point.inputs(), _float(lhs), _float(rhs))
    return worst, None


def _numeric_method(d: Derivation, worst: float) -> str:
    generic = " (generic g^l as " + STAND_IN + ")" if "generic" in d.net.layer_activations else ""
    return f"numeric: {POINTS} random points at {DIGITS} digits, max residual {worst:.1e}{generic}"


def _shape(expr: sp.Expr) -> sp.Expr:
    """expr with its free symbols renamed in order: equations alike but for names share one proof."""
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    return expr.xreplace({s: sp.Symbol(f"_s{n}", **s.assumptions0) for n, s in enumerate(symbols)})


def _cached(cache: dict, stage: str, expr: sp.Expr) -> str | None:
    """exact_zero(expr), shared by every expression alike but for names (a pure function of the key)."""
    key = (stage, _shape(expr))
    if key not in cache:
        cache[key] = exact_zero(expr)
    return cache[key]


def _exact(d: Derivation, difference: sp.Expr, cache: dict) -> str | None:
    """exact_zero of the difference as it stands, then with every A^l written as g^l(Z^l)."""
    method = _cached(cache, "as is", difference)
    if method is None:
        method = _cached(cache, "in Z", d.forward.in_terms_of_Z(difference))
        method = method and method + " in Z"
    return method


def check_step(d: Derivation, step: Step, seed: int = 0, cache: dict | None = None) -> Result:
    """One equation of the induction: exact if possible, else numeric."""
    method = _exact(d, step.direct - step.closed, {} if cache is None else cache)
    if method:
        return Result(step.name, PROVED, METHODS[method])
    worst, counterexample = numeric_test(d, step.direct, step.closed, seed)
    if counterexample:
        return Result(step.name, FAILED, "differs at a random point", worst, counterexample)
    return Result(step.name, NUMERIC, _numeric_method(d, worst), worst)


def _rests_on(name: str, depends: dict[str, tuple[str, ...]], memo: dict[str, frozenset]) -> frozenset:
    """Every equation a step's proof rests on, transitively."""
    if name not in memo:
        below = depends[name]
        memo[name] = frozenset(below).union(*[_rests_on(n, depends, memo) for n in below])
    return memo[name]


def _combine(d: Derivation, name: str, parts: list[Result], seed: int) -> Result:
    """A parameter is verified only if every equation its proof rests on holds."""
    if all(r.status == PROVED for r in parts):
        return Result(name, PROVED, INDUCTION)
    failed = [r for r in parts if r.status == FAILED]
    if failed:
        worst, counterexample = numeric_test(d, d.partial(name), d.closed_form(name), seed)
        where = f"its proof rests on {failed[0].name}, which fails"
        if counterexample is None:
            return Result(name, FAILED, where + " (the whole partial agreed at the points tried)",
                          failed[0].residual, failed[0].counterexample)
        return Result(name, FAILED, where, worst, counterexample)
    numeric = [r for r in parts if r.status == NUMERIC]
    worst = max(r.residual or 0.0 for r in numeric)
    return Result(name, NUMERIC, f"numeric: {len(numeric)} of the {len(parts)} equations it rests on hold at "
                                 f"{POINTS} random points at {DIGITS} digits (max residual {worst:.1e}), "
                                 f"the rest exactly", worst)


def verify(d: Derivation, *, progress: Callable[[int, int], None] | None = None, seed: int = 0) -> Report:
    """Prove ∂E/∂θ (chain rule on E) equal to the δ-equation form for every parameter θ.

    >>> from symbackprop import Network, derive
    >>> verify(derive(Network(sizes=(2, 1), activations="sigmoid", loss="bce", batch=1))).ok
    True
    """
    start = time.perf_counter()
    total, cache = d.equation_count(), {}
    results: dict[str, Result] = {}
    depends: dict[str, tuple[str, ...]] = {}
    gradients: list[str] = []
    for done, step in enumerate(d.steps(), start=1):
        results[step.name] = check_step(d, step, seed, cache)
        depends[step.name] = step.depends
        if step.name in d.forward.parameters:
            gradients.append(step.name)
        if progress:
            progress(done, total)
    memo: dict[str, frozenset] = {}
    parameters = tuple(
        _combine(d, name, [results[name]] + [results[n] for n in sorted(_rests_on(name, depends, memo))], seed)
        for name in gradients)
    steps = tuple(r for name, r in results.items() if name not in d.forward.parameters)
    return Report(d, parameters, steps + tuple(results[n] for n in gradients), time.perf_counter() - start)
