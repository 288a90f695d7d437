"""Verification: prove every partial equal to its closed form, or show a counterexample.

The proof is an induction over layers, stated as such. Base: δ^L_ic equals ∂E/∂Z^L_ic as
SymPy's chain rule computes it from E. Step: if δ^{l+1} = ∂E/∂Z^{l+1} (both held as the same free
symbols), δ^l_ic equals the chain rule one layer back. Then each ∂E/∂W^l_ij and ∂E/∂b^l_i equals
its δ^l expression. A parameter is proved when its own step and every δ step it rests on are.
Each equation is tried exactly first (identity.exact_zero); where no exact method applies it is
tested at random points at 100 digits and reported as ``numeric``, never ``proved``.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction

import sympy as sp

from .derive import Derivation, Step, as_derivation
from .direct import adjoint_symbol
from .identity import exact_zero
from .identity import kinks as kinks_of
from .points import DIGITS, STAND_IN, Point, random_point

PROVED, NUMERIC, FAILED = "proved", "numeric", "failed"
SCALES = (1, 1, 2, 3, 4)          # spread of each random point's inputs (see points.random_point)
POINTS = len(SCALES)
TOLERANCE = 1e-60              # relative residual, computed at 100 digits
METHODS = {"structural": "exact: expands to 0",
           "rational": "exact: rational identity",
           "structural in Z": "exact: expands to 0 once A = g(Z)",
           "rational in Z": "exact: rational identity in exp(Z) once A = g(Z)",
           "cases": "exact: by cases on each relu kink (Z > 0, Z < 0, Z = 0)",
           "cases in Z": "exact: by cases on each relu kink once A = g(Z)"}
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
                "counts": self.counts(), "steps_failed": sum(r.status == FAILED for r in self.steps),
                "seconds": round(self.seconds, 4),
                "parameters": [asdict(r) for r in self.parameters],
                "steps": [asdict(r) for r in self.steps]}


def _json_number(value):
    return str(value) if isinstance(value, Fraction) else value


def residual(direct: sp.Expr, closed: sp.Expr) -> float:
    """Relative difference; infinite where either side is not a finite real number."""
    if not all(v.is_number and v.is_finite and v.is_extended_real for v in (direct, closed)):
        return float("inf")
    scale = max(1.0, abs(float(direct)), abs(float(closed)))
    return float(abs(direct - closed)) / scale


def _float(value: sp.Expr) -> float:
    return float(value) if value.is_number and value.is_finite and value.is_extended_real else float("nan")


KINK_VALUES = (0, -0.5)        # where a relu kink is pinned: on it, and just below it
MAX_PINNED = 3


def _points(d: Derivation, exprs: Sequence[sp.Expr], seed: int) -> Iterator[Callable[[int], Point]]:
    """The random points of a numeric test, each as a function of the working precision: one per scale, then
    each relu kink pinned."""
    for k, scale in enumerate(SCALES):
        yield functools.partial(_at, d, seed + k, scale, k, None)
    kinks = sorted({z for e in exprs for z in kinks_of(d.forward.in_terms_of_Z(e))} & set(d.forward.definitions),
                   key=lambda z: z.name)
    for n, (z, value) in enumerate((z, v) for z in kinks[:MAX_PINNED] for v in KINK_VALUES):
        yield functools.partial(_at, d, seed + len(SCALES) + n, 1, n, (z, value))


def _at(d: Derivation, seed: int, scale: float, k: int, pin: tuple[sp.Symbol, float] | None, digits: int) -> Point:
    return random_point(d.forward, seed, scale, k=k, pin=pin, digits=digits)


SMALL_DIFFERENCE = 1e-30      # relative to the values: a difference this large between tiny values is looked at again


def _values(make: Callable[[int], Point], digits: int, direct: sp.Expr, closed: sp.Expr,
            assume: dict | None) -> tuple[Point, sp.Expr, sp.Expr]:
    point = make(digits)
    for s, value in (assume or {}).items():
        point.values[s] = point.evaluate(value)
    return point, point.evaluate(direct), point.evaluate(closed)


def _tiny_but_different(make: Callable[[int], Point], lhs: sp.Expr, rhs: sp.Expr, direct: sp.Expr,
                        closed: sp.Expr, assume: dict | None) -> float | None:
    """Both sides below 1 in size, within TOLERANCE of each other yet apart relative to themselves: through 81
    sigmoid layers δ¹ is ~1e-90, so a wrong claim differed by less than the absolute tolerance, passed, and went
    on to an exact method that expanded for minutes. Rounding or a real difference? The same point at twice the
    precision tells: rounding shrinks by 10^-DIGITS, a real difference stays. The relative difference when it is
    real, else None."""
    if not all(v.is_number and v.is_finite and v.is_extended_real for v in (lhs, rhs)):
        return None
    size = max(abs(lhs), abs(rhs))
    if not 0 < size < 1 or abs(lhs - rhs) <= SMALL_DIFFERENCE * size:
        return None
    _, lhs2, rhs2 = _values(make, 2 * DIGITS, direct, closed, assume)
    if not all(v.is_number and v.is_finite for v in (lhs2, rhs2)):
        return None
    first, second = lhs - rhs, lhs2 - rhs2
    if abs(first - second) <= 1e-6 * abs(first):
        return float(abs(first) / size)
    return None


def numeric_test(d: Derivation, direct: sp.Expr, closed: sp.Expr, seed: int,
                 assume: dict | None = None) -> tuple[float, Counterexample | None]:
    """Largest residual over the random points; the first point beyond TOLERANCE (or where a
    side is not a finite real number) as a counterexample; and a point where both sides are tiny
    and differ relative to themselves, by an amount that does not shrink at twice the precision.
    ``assume`` gives inputs that follow from others (a target column that sums to 1), so that the
    point shown satisfies it."""
    worst = 0.0
    for make in _points(d, (direct, closed), seed):
        point, lhs, rhs = _values(make, DIGITS, direct, closed, assume)
        difference = residual(lhs, rhs)
        worst = max(worst, difference)
        if not difference <= TOLERANCE:
            return difference, Counterexample(point.inputs(), _float(lhs), _float(rhs))
        relative = _tiny_but_different(make, lhs, rhs, direct, closed, assume)
        if relative is not None:
            return relative, Counterexample(point.inputs(), _float(lhs), _float(rhs))
    return worst, None


def numeric_partials(d: Derivation, point: Point) -> dict[str, tuple[sp.Float, sp.Float]]:
    """Every parameter's direct and closed-form partial at one point, propagated numerically
    node by node (the adjoints backwards through the graph, δ^L down to δ^1) instead of
    evaluating each partial's nested expression."""
    numbers: dict[sp.Symbol, sp.Expr] = {}
    fp, closed = d.forward, d.closed
    for node in reversed(list(fp.definitions)):
        numbers[adjoint_symbol(node)] = point.evaluate(d.chain.local(node).xreplace(numbers))
    for l in reversed(fp.layers):
        entries = zip(closed.delta[l], closed.delta_equations[l], strict=True)
        numbers.update({s: point.evaluate(equation.xreplace(numbers)) for s, equation in entries})
    return {name: (point.evaluate(d.chain.local(v).xreplace(numbers)),
                   point.evaluate(closed.gradient_equations[v].xreplace(numbers)))
            for name, v in fp.parameters.items()}


def _numeric_method(d: Derivation, worst: float) -> str:
    generic = " (generic g^l as " + STAND_IN + ")" if not all(r.concrete for r in d.net.layer_rules) else ""
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
    worst, counterexample = numeric_test(d, step.direct, step.closed, seed, step.assume)
    if counterexample:
        return Result(step.name, FAILED, "differs at a random point", worst, counterexample)
    return Result(step.name, NUMERIC, _numeric_method(d, worst), worst)


def _rests_on(name: str, depends: dict[str, tuple[str, ...]], memo: dict[str, frozenset]) -> frozenset:
    """Every equation a step's proof rests on, transitively."""
    if name not in memo:
        below = depends[name]
        memo[name] = frozenset(below).union(*[_rests_on(n, depends, memo) for n in below])
    return memo[name]


class _Witness:
    """Counterexamples for failed parameters: all partials at each point, computed once, on demand."""

    def __init__(self, d: Derivation, seed: int):
        self._points: list = []
        self.d, self.seed = d, seed

    def find(self, name: str) -> tuple[float, Counterexample | None]:
        worst = 0.0
        for k, scale in enumerate(SCALES):
            if k == len(self._points):
                point = random_point(self.d.forward, self.seed + k, scale, k=k)
                self._points.append((point, numeric_partials(self.d, point)))
            point, partials = self._points[k]
            lhs, rhs = partials[name]
            difference = residual(lhs, rhs)
            worst = max(worst, difference)
            if not difference <= TOLERANCE:
                return difference, Counterexample(point.inputs(), _float(lhs), _float(rhs))
        return worst, None


def _combine(name: str, parts: list[Result], witness: _Witness) -> Result:
    """A parameter is verified only if every equation its proof rests on holds."""
    if all(r.status == PROVED for r in parts):
        return Result(name, PROVED, INDUCTION)
    failed = [r for r in parts if r.status == FAILED]
    if failed:
        worst, counterexample = witness.find(name)
        where = f"its proof rests on {failed[0].name}, which fails"
        if counterexample is None:
            return Result(name, FAILED, where + " (the whole partial agreed at the points tried)",
                          failed[0].residual, failed[0].counterexample)
        return Result(name, FAILED, where, worst, counterexample)
    numeric = [r for r in parts if r.status == NUMERIC]
    worst = max(r.residual or 0.0 for r in numeric)
    return Result(name, NUMERIC, f"numeric: {len(numeric)} of the {len(parts)} equations it rests on hold at "
                                 f"random points at {DIGITS} digits (max residual {worst:.1e}), "
                                 f"the rest exactly", worst)


def verify(d: Derivation, *, progress: Callable[[int, int], None] | None = None, seed: int = 0) -> Report:
    """Prove ∂E/∂θ (chain rule on E) equal to the δ-equation form for every parameter θ.

    >>> from symbackprop import Network, derive
    >>> verify(derive(Network(sizes=(2, 1), activations="sigmoid", loss="bce", batch=1))).ok
    True
    """
    start = time.perf_counter()
    d = as_derivation(d, "verify")
    cache: dict = {}
    total = d.equation_count()
    results: dict[str, Result] = {}
    depends: dict[str, tuple[str, ...]] = {}
    gradient_of: dict[str, str] = {}
    for done, step in enumerate(d.steps(), start=1):
        results[step.name] = check_step(d, step, seed, cache)
        depends[step.name] = step.depends
        if step.parameter:
            gradient_of[step.parameter] = step.name
        if progress:
            progress(done, total)
    memo: dict[str, frozenset] = {}
    witness = _Witness(d, seed)
    parameters = tuple(
        _combine(name, [results[step]] + [results[n] for n in sorted(_rests_on(step, depends, memo))], witness)
        for name, step in gradient_of.items())
    return Report(d, parameters, tuple(results.values()), time.perf_counter() - start)
