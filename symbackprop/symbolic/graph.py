"""The layer graph of a ``Stack``: forward pass with named intermediates, the direct side by the chain rule
on E (one local ``diff`` per edge), the rule side by composing each entry's textbook backward rule, and a
proof that the two agree for every intermediate, every parameter and the input.

Names: node 0 is the input X (``X_i_c``), node k the output of layer k (``H{k}_i_c``), its upstream gradient
∂E/∂H^k the symbol ``dE_dH{k}_i_c`` (``dE_dX_i_c`` for the input); layer k's parameter ``gamma`` is
``gamma{k}_i_j``, reported as ``gamma1[i,j]``. Indices are 1-based; a batch of m samples is m columns.

The proof is an induction over the layers, from the output down. At the output both sides start from the
loss: the direct side differentiates E with respect to H^L, the rule side takes the loss entry's textbook
gradient. At each layer k the direct side is Σ over its outputs of ∂E/∂H^k (a symbol) times the local
derivative of the layer's forward rule (SymPy's ``diff``, never the backward rule); the rule side is the
entry's backward rule given the same upstream symbols. Their difference, written in the layer's inputs,
parameters and upstream symbols (the output y replaced by its forward rule), is checked:

- exact: ``cancel`` of the difference is 0 ("proved");
- else numeric: at several random rational points evaluated with 50 digits the largest residual is below
  10⁻³⁰ ("numeric", never "proved");
- else refuted: the point where the two sides differ is the counterexample.

Since ∂E/∂H^k is proved at each layer given the one above, every ∂E/∂θ and ∂E/∂X follows; a parameter's
status is the weakest of its own identity and of every step above it.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy as sp

from ..model.activations import RELU_AT_ZERO, step_convention
from ..model.layers import Stack, check_work

DIGITS = 50
TOLERANCE = sp.Float(10) ** -30
POINTS = 5
STRENGTH = {"proved": 2, "numeric": 1, "refuted": 0}


def _symbols(prefix: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{prefix}_{i + 1}_{j + 1}", real=True))


@dataclass
class Identity:
    """One component's identity: direct == rule, and what was shown about it."""

    name: str                      # "dE/dH2[1,3]", "gamma1[2,1]", "dE/dX[1,1]"
    status: str = ""               # proved | numeric | refuted
    how: str = ""
    residual: float = 0.0
    point: dict[str, str] | None = None
    layer: int = 0                 # the layer whose rule it checks (0: the loss)

    @property
    def ok(self) -> bool:
        return self.status != "refuted"


@dataclass
class GraphReport:
    stack: Stack
    batch: int
    steps: list[Identity] = field(default_factory=list)        # the intermediates, output down to the input
    parameters: list[Identity] = field(default_factory=list)   # every parameter, and the input X
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.steps + self.parameters)

    def counterexample(self) -> Identity | None:
        return next((r for r in self.steps + self.parameters if not r.ok), None)

    def table(self) -> str:
        rows = [f"{r.name:<22} {r.status:<8} {r.how}" for r in self.parameters]
        proved = sum(r.status == "proved" for r in self.parameters)
        numeric = sum(r.status == "numeric" for r in self.parameters)
        refuted = len(self.parameters) - proved - numeric
        rows.append(f"{len(self.parameters)} partials: {proved} proved, {numeric} numeric, {refuted} refuted "
                    f"({len(self.steps)} steps, {self.seconds:.1f} s)")
        bad = self.counterexample()
        if bad is not None and bad.point is not None:
            rows.append(f"counterexample for {bad.name}: residual {bad.residual:.3g} at "
                        + ", ".join(f"{k} = {v}" for k, v in sorted(bad.point.items())[:12]) + (
                            ", …" if len(bad.point) > 12 else ""))
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        def row(r: Identity) -> dict[str, Any]:
            return {"name": r.name, "status": r.status, "how": r.how, "residual": r.residual,
                    "counterexample": r.point, "layer": r.layer}
        return {"network": self.stack.describe(), "batch": self.batch, "ok": self.ok,
                "parameters": [row(r) for r in self.parameters], "steps": [row(r) for r in self.steps],
                "seconds": self.seconds}


class Graph:
    """The symbolic forward pass of a stack at batch m, with its named intermediates."""

    def __init__(self, stack: Stack, m: int | None = None):
        self.stack, self.m = stack, m or stack.batch
        m = self.m
        L = stack.depth
        self.H = [_symbols("X", stack.input, m)] + [_symbols(f"H{k}", layer.width, m)
                                                    for k, layer in enumerate(stack.layers, 1)]
        self.G = [_symbols("dE_dX", stack.input, m)] + [_symbols(f"dE_dH{k}", layer.width, m)
                                                        for k, layer in enumerate(stack.layers, 1)]
        self.values: list[dict[str, sp.Matrix]] = [{}]
        for k, layer in enumerate(stack.layers, 1):
            given = {name: _symbols(f"{name}{k}", r, c) for name, (r, c) in layer.parameters}
            given.update({name: _symbols(f"{name}{k}", r, m if c is None else c) for name, (r, c) in layer.data})
            self.values.append(given)
        self.out: list[sp.Matrix] = [self.H[0]] + [
            layer.forward([self.H[s] for s in stack.sources(k)], self.values[k])
            for k, layer in enumerate(stack.layers, 1)]
        self.Y = _symbols("Y", stack.widths[-1], m)
        self.E = sp.Add(*[stack.loss.term(self.H[L][i, c], self.Y[i, c])
                          for i in range(stack.widths[-1]) for c in range(m)]) / m

    def consumers(self, n: int) -> list[int]:
        return [k for k in range(1, self.stack.depth + 1) if n in self.stack.sources(k)]

    def step(self, expr: sp.Expr) -> sp.Expr:
        return step_convention(expr, self.stack.relu_at_zero).xreplace({RELU_AT_ZERO: self.stack.relu_at_zero})

    def local(self, k: int, target: sp.Symbol) -> sp.Expr:
        """Σ over layer k's outputs of ∂E/∂H^k times the local derivative of its forward rule by ``target``."""
        out, G = self.out[k], self.G[k]
        return sp.Add(*[G[j, c] * self.step(sp.diff(out[j, c], target))
                        for j in range(out.rows) for c in range(out.cols) if target in out[j, c].free_symbols])

    def backward(self, k: int) -> tuple[list[sp.Matrix], dict[str, sp.Matrix]]:
        layer = self.stack.layers[k - 1]
        dxs, dps = layer.backward([self.H[s] for s in self.stack.sources(k)], self.out[k], self.values[k], self.G[k])
        fix = lambda M: M.applyfunc(self.step)
        return [fix(d) for d in dxs], {name: fix(d) for name, d in dps.items()}


def _point(free: set[sp.Symbol], rng: random.Random) -> dict[sp.Symbol, sp.Rational]:
    return {s: sp.Rational(rng.randint(-40, 40), rng.choice((7, 8, 9, 11, 13))) for s in sorted(free, key=str)}


def check(name: str, direct: sp.Expr, rule: sp.Expr, layer: int = 0, seed: int = 0) -> Identity:
    """direct == rule: one random point first (a wrong rule is refuted there, at once), then exact by expand or
    cancel, else numeric at ``POINTS`` random points, else a counterexample."""
    difference = sp.sympify(direct - rule)
    result = Identity(name, layer=layer)
    rng = random.Random(seed)
    free = difference.free_symbols | sp.sympify(direct).free_symbols | sp.sympify(rule).free_symbols
    residuals: list[float] = []

    fast = _Evaluator(free, [difference, sp.sympify(direct)])

    def refuted_at_next_point() -> bool:
        at = _point(free, rng)
        values = fast(at)
        if values is None:
            value = abs(sp.N(difference.xreplace(at), DIGITS))
            scale = 1 + abs(sp.N(sp.sympify(direct).xreplace(at), DIGITS))
        else:
            value, scale = abs(values[0]), 1 + abs(values[1])
        if not value.is_number or value / scale > TOLERANCE:
            result.status, result.residual = "refuted", float(value) if value.is_number else float("nan")
            result.point = {str(s): str(v) for s, v in at.items()}
            result.how = "differs at a random point"
            return True
        residuals.append(float(value / scale))
        return False

    if difference == 0:                         # the two sides' terms already cancelled as SymPy built them
        result.status, result.how = "proved", "exact: cancel to 0"
        return result
    if refuted_at_next_point():
        return result
    if _exactly_zero(difference):
        result.status, result.how = "proved", "exact: cancel to 0"
        return result
    for _ in range(POINTS - 1):
        if refuted_at_next_point():
            return result
    result.residual = max(residuals)
    result.status = "numeric"
    result.how = f"numeric: {POINTS} random points at {DIGITS} digits, largest residual {result.residual:.1e}"
    return result


class _Evaluator:
    """The difference and the direct side at a point, through mpmath at DIGITS + 20 digits: SymPy's own N of
    the expression with the rationals put in does exact arithmetic inside every nested function first (a
    recurrent layer's partial took over a second a point this way, milliseconds through mpmath). None when
    mpmath cannot evaluate it or the value is not a finite real: the caller falls back to SymPy's N."""

    def __init__(self, free: set[sp.Symbol], exprs: list[sp.Expr]):
        self.symbols = sorted(free, key=str)
        try:
            self.function: Any = sp.lambdify(self.symbols, exprs, "mpmath", cse=True)
        except Exception:                    # a function mpmath's printer does not know
            self.function = None

    def __call__(self, at: dict[sp.Symbol, sp.Rational]) -> list[sp.Float] | None:
        if self.function is None:
            return None
        with mpmath.workdps(DIGITS + 20):
            try:
                values = self.function(*[mpmath.mpf(int(at[s].p)) / int(at[s].q) for s in self.symbols])
            except Exception:                # Heaviside's or a Piecewise's pieces mpmath cannot take
                return None
            if not all(isinstance(v, mpmath.mpf) and mpmath.isfinite(v) for v in values):
                return None
            return [sp.Float(v, DIGITS) for v in values]


def _exactly_zero(difference: sp.Expr) -> bool:
    """Exactly 0: expand for a polynomial; through roots, the numerator reduced by each root's relation; else
    cancel of the single fraction."""
    if difference == 0:
        return True
    if difference.is_polynomial():
        return sp.expand(difference) == 0
    generic = _functions_as_generators(difference)
    if generic is not None:
        return sp.expand(generic) == 0
    return _zero_through_roots(difference) or sp.cancel(sp.together(difference)) == 0


def _functions_as_generators(difference: sp.Expr) -> sp.Expr | None:
    """The difference with each function application (tanh(u), …, outermost first) a fresh symbol, when that
    makes it a polynomial: it is then 0 if it expands to 0 (a polynomial identity in independent generators
    holds for any values of them), and expanding it is far cheaper than cancel's gcds. A recurrent layer's
    nested tanh, whose derivatives SymPy writes as 1 − tanh², is the case this is for. None: not a
    polynomial that way."""
    applied = [f for f in difference.atoms(sp.Function)]
    if not applied:
        return None
    names = {f: sp.Dummy(f"f{k}") for k, f in enumerate(applied)}
    replaced = difference.xreplace(names)
    return replaced if replaced.is_polynomial() else None


def _zero_through_roots(difference: sp.Expr) -> bool:
    """Each B^(k/q) written t^k with t = B^(1/q) (so (B^(1/q))^k = B^(k/q) for every B, principal branch), the
    numerator of the one fraction, reduced modulo tᵠ − B for each t, expands to 0: then the difference is 0
    wherever it is defined. Batch norm's √(σ² + ε) in its powers ±1/2, ±3/2 is the case this is for; the
    expansion is a few times faster than cancel's polynomial gcds there."""
    roots = [p for p in difference.atoms(sp.Pow) if p.exp.is_Rational and not p.exp.is_Integer]
    if not roots or any(p.base.atoms(sp.Pow) & set(roots) for p in roots):
        return False
    orders: dict[sp.Expr, int] = {}
    for p in roots:
        orders[p.base] = int(sp.ilcm(orders.get(p.base, 1), p.exp.q))
    names = {base: sp.Dummy(f"t{k}") for k, base in enumerate(orders)}
    numerator = sp.expand(sp.numer(sp.together(difference.xreplace(
        {p: names[p.base] ** int(p.exp * orders[p.base]) for p in roots}))))
    try:
        for base, q in orders.items():
            t = names[base]
            numerator = sp.expand(sp.rem(sp.Poly(numerator, t), sp.Poly(t ** q - base, t)).as_expr())
    except sp.PolynomialError:         # a root inside a function: not this case
        return False
    return numerator == 0


def _component(prefix: str, i: int, c: int) -> str:
    return f"{prefix}[{i + 1},{c + 1}]"


def verify_stack(stack: Stack, m: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> GraphReport:
    """Prove every layer's backward rule against the chain rule on E through the graph (see the module)."""
    start = time.perf_counter()
    check_work(stack, m or stack.batch)
    graph = Graph(stack, m)
    report = GraphReport(stack, graph.m)
    L, M = stack.depth, graph.m
    weakest: dict[int, int] = {}        # node -> weakest status of its ∂E/∂H and every step above it

    top = [check(_component(f"dE/dH{L}", i, c), sp.diff(graph.E, graph.H[L][i, c]),
                 stack.loss.output_gradient(graph.H[L][i, c], graph.Y[i, c], M), L + 1)
           for i in range(graph.H[L].rows) for c in range(M)]
    report.steps += top
    weakest[L] = min((STRENGTH[r.status] for r in top), default=2)
    rules: dict[int, tuple[list[sp.Matrix], dict[str, sp.Matrix]]] = {}
    for n in range(L, -1, -1):
        if n < L:
            consumers = graph.consumers(n)
            for k in consumers:
                if k not in rules:
                    rules[k] = graph.backward(k)
            label = "dE/dX" if n == 0 else f"dE/dH{n}"
            rows = []
            for i in range(graph.H[n].rows):
                for c in range(M):
                    target = graph.H[n][i, c]
                    direct = sp.Add(*[graph.local(k, target) for k in consumers])
                    rule = sp.Add(*[rules[k][0][stack.sources(k).index(n)][i, c] for k in consumers])
                    rows.append(check(_component(label, i, c), direct, rule, min(consumers)))
            report.steps += rows
            above = min(weakest[k] for k in consumers)
            weakest[n] = min([above] + [STRENGTH[r.status] for r in rows])
            if n == 0:
                report.parameters += [_inherit(r, above) for r in rows]
        if n >= 1:
            layer = stack.layers[n - 1]
            if layer.parameters and n not in rules:
                rules[n] = graph.backward(n)
            for name, (r_, c_) in layer.parameters:
                for i in range(r_):
                    for j in range(c_):
                        theta = graph.values[n][name][i, j]
                        identity = check(_component(f"{name}{n}", i, j), graph.local(n, theta),
                                         rules[n][1][name][i, j], n)
                        report.parameters.append(_inherit(identity, weakest[n]))
        if progress is not None:
            progress(L - n + 1, L + 1)
    report.seconds = time.perf_counter() - start
    return report


def _inherit(identity: Identity, above: int) -> Identity:
    """A partial is as strong as its own identity and every step above it (the induction)."""
    if identity.status == "proved" and above < 2:
        identity.status = "numeric" if above == 1 else "refuted"
        identity.how = "exact here; a step above it is " + ("numeric" if above == 1 else "refuted")
    elif identity.status == "proved":
        identity.how = "exact: induction over layers"
    elif identity.status == "numeric" and above == 0:
        identity.status, identity.how = "refuted", "a step above it is refuted"
    return identity
