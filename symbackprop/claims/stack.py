"""Claims about one layer of a layer stack, in array form, proved against the chain rule through the graph.

A claim names one gradient of layer k and says what it equals, elementwise over the layer's (rows × m)
components, as course notes print a layer's backward pass:

    dx2 = gamma2 / (m * sqrt(var2 + eps2)) * (m*dy2 - sum_c(dy2) - xhat2 * sum_c(dy2*xhat2))
    dgamma2 = sum_c(dy2 * xhat2)
    dx3 = dy3 * mask3 / (1 - p3)
    dx3 = y3 * (dy3 - sum_i(dy3 * y3))

The left side is ``d<name>k`` (also written ``dE/d<name>k``, ``∂E/∂<name>k``, ``∂ℓ/∂<name>k``): ``x`` (the
layer's input), ``h`` (a second input, ``add:j``'s) or a parameter (``gamma``, ``W``, ``a``). The right side
uses layer k's names, each with the index k: every layer has ``x``, ``y`` (its output), ``dy`` (∂E/∂y, the
upstream gradient), ``h``, its parameters and its data (``mask``); its kind's entry declares the rest
(``Layer.claim_names``: batch norm's ``xhat``, ``mu``, ``var``, ``eps``, ``m``; dropout's ``p``). Operations
are elementwise (``*``, ``⊙``, ``/``, ``+``, ``-``, ``^``/``**``), a column (n × 1) or a row (1 × m)
broadcasts, and ``sum_c(·)`` sums over the batch (each row), ``sum_i(·)`` over the units (each column);
``sqrt``, ``exp``, ``log``, ``min``, ``max`` apply elementwise; ``@`` is the matrix product, ``.T`` the transpose,
``diag(v)`` the diagonal matrix of a column (one sample); ``correlate``/``convolve`` (also ``np.``) slide a kernel
down each column as NumPy's do (a convolution layer's gradients, one channel).

Beyond the layer's inputs and parameters, a claim may name the stages of its forward rule (batch norm's
``xhat``, ``mu``, ``var``; a recurrent layer's time steps as subscripts, ``h1[2]``) and ``d<stage>`` for their
∂E/∂, as a target or on the right: a stage's ∂E/∂ is the chain rule on the layer's stages (steps.py's
``stage_gradients``: reverse-mode ``diff``), never a kind's rule. A kind's ``gradient_aliases`` give a textbook's
name for one (the recurrent layer's ``delta1[t]`` for ∂E/∂a_t).

The claim is read with Python's ``ast.parse`` (a syntax tree, never evaluated) and only whitelisted nodes
are taken. The direct side of each component is the chain rule through layer k's forward rule
(``Graph.local``: ∂E/∂H^k times the local derivative), never the kind's backward rule; each component is
checked by symbolic/graph.py's ``check`` (exact, else numeric at random points, else a counterexample), and a
wrong claim is diagnosed when it equals one of the kind's classic wrong rules (its ``planted_*``).
"""
from __future__ import annotations

import ast
import functools
import importlib
import random
import re
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..model.errors import SpecError
from ..model.kinds import KINDS
from ..model.layers import Stack, check_work
from ..symbolic.graph import Graph, check
from ..symbolic.steps import stage_gradients

MAX_LENGTH = 1000
MAX_NODES = 400
MAX_SIZE = 1_000_000      # the right side's expression trees, every component written out: a bound on the check
MAX_EXPONENT = 10         # a number as an exponent: |p| and its denominator at most this (σ²'s −3/2, a square)
UNICODE = {"−": "-", "·": "*", "×": "*", "⊙": "*", "∘": "*", "γ": "gamma", "β": "beta", "μ": "mu",
           "ε": "eps", "x̂": "xhat", "σ²": "var", "Σ": "sum_c", "∂": "d", "ℓ": "E", "√": "sqrt", "^": "**"}
FUNCTIONS = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log}
SUMS = {"sum_c": "batch", "sum_i": "units"}
_LHS = re.compile(r"\s*(d[ELl]\s*/\s*d)?\s*([A-Za-z_]+?)(\d+)\s*(?:\[\s*(\d+)\s*\])?\s*$")
_NAME = re.compile(r"([A-Za-z_]+?)(\d+)$")


class StackClaimError(SpecError):
    """The claim cannot be read as one about this stack: one line."""


@dataclass
class StackVerdict:
    claim: str
    layer: int
    target: str
    status: str = ""                    # proved | numeric | wrong
    how: str = ""
    components: int = 0
    counterexample: dict[str, str] | None = None
    component: str = ""
    diagnosis: str = ""
    values: tuple[float, float] | None = None      # (the claim, the chain rule) at the counterexample

    @property
    def ok(self) -> bool:
        return self.status != "wrong"

    def text(self) -> str:
        head = f"{self.claim}\n  {self.status}: {self.how}"
        if self.ok:
            return head
        point = ", ".join(f"{k} = {v}" for k, v in sorted((self.counterexample or {}).items())[:10])
        more = ", …" if len(self.counterexample or {}) > 10 else ""
        lines = [head, f"  counterexample at {self.component}: {point}{more}"]
        if self.values is not None:
            claim, chain = self.values
            lines.append(f"  there the claim gives {claim:.10g}, the chain rule {chain:.10g}"
                         + (f" (they differ by {claim - chain:.3g})" if f"{claim:.6g}" == f"{chain:.6g}" else ""))
        if self.diagnosis:
            lines.append(f"  diagnosis: {self.diagnosis}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"claim": self.claim, "layer": self.layer, "target": self.target, "status": self.status,
                "ok": self.ok, "how": self.how, "components": self.components, "component": self.component,
                "counterexample": self.counterexample, "diagnosis": self.diagnosis,
                "values": list(self.values) if self.values else None}


def normalise(text: str) -> str:
    for old, new in UNICODE.items():
        text = text.replace(old, new)
    return text


@dataclass
class _Scope:
    graph: Graph
    k: int
    names: dict[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> Any:
        if name not in self.names:
            raise StackClaimError(f"layer {self.k} ({self.graph.stack.layers[self.k - 1].label}) has no name "
                                  f"{name!r} a claim may use; it has {', '.join(sorted(self.names))}")
        return self.names[name]


def _scope(graph: Graph, k: int) -> _Scope:
    """Layer k's names: x, y, dy, h, its parameters and data, its entry's claim names, each stage of its forward
    rule (batch norm's ``xhat``, ``var``, ``mu``; a recurrent layer's ``h2``, written ``h1[2]``), and d<name>
    for the ∂E/∂ of every stage, input and parameter, by the chain rule on the layer's stages (steps.py)."""
    stack = graph.stack
    layer = stack.layers[k - 1]
    xs = [graph.H[s] for s in stack.sources(k)]
    values = graph.values[k]
    names: dict[str, Any] = {"x": xs[0], "y": graph.out[k], "dy": graph.G[k]}
    if len(xs) > 1:
        names["h"] = xs[1]
    names.update(values)
    for name, _meaning, value in layer.claim_names:
        names[name] = value(xs, {**values, "dy": graph.G[k]})
    if layer.stages:
        given = {**dict(zip(layer.input_names, xs, strict=True)), **values}
        forward, _, gradients, back = stage_gradients(layer, given, graph.G[k])
        for stage in layer.stages:
            names.setdefault(stage.name, forward[stage.name])
        for name, gradient in gradients.items():
            if name != "y":
                names.setdefault(f"d{name}", gradient.xreplace(back))
        for alias, name in layer.gradient_aliases:
            if f"d{name}" in names:
                names[alias] = names[f"d{name}"]
    return _Scope(graph, k, names)


def _broadcast(a: Any, b: Any, op) -> Any:
    if not isinstance(a, sp.MatrixBase) and not isinstance(b, sp.MatrixBase):
        return op(a, b)
    if not isinstance(a, sp.MatrixBase):
        return b.applyfunc(lambda v: op(a, v))
    if not isinstance(b, sp.MatrixBase):
        return a.applyfunc(lambda v: op(v, b))
    rows, cols = max(a.rows, b.rows), max(a.cols, b.cols)
    for M in (a, b):
        if M.rows not in (1, rows) or M.cols not in (1, cols):
            raise StackClaimError(f"shapes {a.shape} and {b.shape} do not broadcast")
    return sp.Matrix(rows, cols, lambda i, j: op(a[i if a.rows > 1 else 0, j if a.cols > 1 else 0],
                                                 b[i if b.rows > 1 else 0, j if b.cols > 1 else 0]))


_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
        ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a ** b}


def _product(a: Any, b: Any) -> Any:
    """``a @ b``: the matrix product, as NumPy's and the textbooks' W.T @ delta."""
    if not isinstance(a, sp.MatrixBase) or not isinstance(b, sp.MatrixBase):
        raise StackClaimError("@ multiplies two arrays; for a number use *")
    if a.cols != b.rows:
        raise StackClaimError(f"{a.rows}×{a.cols} @ {b.rows}×{b.cols}: the shapes do not fit")
    return a * b


def _named(name: str, k: int) -> str:
    match = _NAME.fullmatch(name)
    if match is None:
        raise StackClaimError(f"{name!r}: a name takes its layer's index, as dy{k} or gamma{k}")
    if int(match.group(2)) != k:
        raise StackClaimError(f"{name!r} is about layer {match.group(2)}, the claim about layer {k}")
    return match.group(1)


def _tree_size(value: Any) -> int:
    """The nodes of every component's expression tree written out (shared subtrees counted each time they occur,
    computed once each): what a check of the claim would have to traverse."""
    memo: dict[sp.Basic, int] = {}

    def size(e: sp.Basic) -> int:
        if e not in memo:
            memo[e] = 1 + sum(size(a) for a in e.args)
        return memo[e]
    entries = list(value) if isinstance(value, sp.MatrixBase) else [sp.sympify(value)]
    return sum(size(e) for e in entries)


def _bounded_value(value: Any) -> Any:
    if _tree_size(value) > MAX_SIZE:
        raise StackClaimError(f"the right side written out has more than {MAX_SIZE:,} terms (a product of many "
                              "matrices, say); a claim about one layer needs far fewer")
    return value


def _exponent(value: Any) -> Any:
    if isinstance(value, sp.MatrixBase) or not sp.sympify(value).is_number:
        return value
    number = sp.nsimplify(value)
    if not number.is_Rational or abs(number) > MAX_EXPONENT or number.q > MAX_EXPONENT:
        raise StackClaimError(f"an exponent is a whole number or a simple fraction of at most {MAX_EXPONENT} "
                              f"(as −3/2 or 2); got {value}")
    return value


def _evaluate(node: ast.AST, scope: _Scope, k: int) -> Any:
    return _bounded_value(_evaluate_node(node, scope, k))


def _evaluate_node(node: ast.AST, scope: _Scope, k: int) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return sp.nsimplify(node.value) if isinstance(node.value, float) else sp.Integer(node.value)
    if isinstance(node, ast.Name):
        return scope.value(_named(node.id, k))
    if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, int) and not isinstance(node.slice.value, bool)):
        return scope.value(f"{_named(node.value.id, k)}{node.slice.value}")       # a time step: h1[2] is h_2
    if isinstance(node, ast.Attribute) and node.attr == "T":
        value = _evaluate(node.value, scope, k)
        return value.T if isinstance(value, sp.MatrixBase) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return _product(_evaluate(node.left, scope, k), _evaluate(node.right, scope, k))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        right = _evaluate(node.right, scope, k)
        if isinstance(node.op, ast.Pow):
            right = _exponent(right)
        return _broadcast(_evaluate(node.left, scope, k), right, _OPS[type(node.op)])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, scope, k)
        return -value if isinstance(node.op, ast.USub) else value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "np" and node.func.attr in SLIDING):     # np.correlate(x1, dy1, 'valid')
        node = ast.Call(func=ast.Name(id=node.func.attr), args=node.args, keywords=node.keywords)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in SLIDING and not node.keywords:
        return _sliding(node, scope, k)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name, args = node.func.id, [_evaluate(a, scope, k) for a in node.args]
        if name in SUMS and len(args) == 1:
            a = args[0]
            if not isinstance(a, sp.MatrixBase):
                raise StackClaimError(f"{name} sums an array, not a number")
            if SUMS[name] == "batch":
                return sp.Matrix(a.rows, 1, lambda i, _: sp.Add(*a.row(i)))
            return sp.Matrix(1, a.cols, lambda _, j: sp.Add(*a.col(j)))
        if name in FUNCTIONS and len(args) == 1:
            f = FUNCTIONS[name]
            return args[0].applyfunc(f) if isinstance(args[0], sp.MatrixBase) else f(args[0])
        if name == "diag" and len(args) == 1:
            a = args[0]
            if not isinstance(a, sp.MatrixBase) or a.cols != 1:
                raise StackClaimError("diag(v) takes a column v (one sample: --batch 1) and makes the diagonal "
                                      "matrix of it")
            return sp.diag(*a)
        if name in ("min", "max") and len(args) == 2:
            return _broadcast(args[0], args[1], sp.Min if name == "min" else sp.Max)
        raise StackClaimError(f"unknown function {name}(…); a claim may use {', '.join([*SUMS, *FUNCTIONS])}, "
                              "min(a, b), max(a, b), diag(v)")
    raise StackClaimError(f"cannot read {ast.dump(node)[:40]}…: a claim is arithmetic on layer names")


SLIDING = {"correlate": "valid", "convolve": "full"}        # NumPy's default mode for each, as course code calls them


def _sliding(node: ast.Call, scope: _Scope, k: int) -> sp.Matrix:
    """np.correlate / np.convolve down each column (a sample's sequence: one channel), as NumPy computes them:
    correlate(a, v)[n] = Σ_i a[n + i] v[i]; convolve(a, v)[n] = Σ_i a[i] v[n − i]; mode 'valid' or 'full'. A
    one-column (or one-row) v is the same kernel for every sample."""
    name = node.func.id                                     # type: ignore[attr-defined]
    if len(node.args) not in (2, 3):
        raise StackClaimError(f"{name}(a, v) or {name}(a, v, 'valid' | 'full')")
    mode = SLIDING[name]
    if len(node.args) == 3:
        given = node.args[2]
        if not (isinstance(given, ast.Constant) and given.value in ("valid", "full")):
            raise StackClaimError(f"{name}'s mode is 'valid' or 'full'")
        mode = given.value
    a, v = (_evaluate(arg, scope, k) for arg in node.args[:2])
    if not isinstance(a, sp.MatrixBase) or not isinstance(v, sp.MatrixBase):
        raise StackClaimError(f"{name} slides one array along another")
    if v.rows == 1 and v.cols > 1:
        v = v.T                                             # a kernel written as a row (W1 of conv1d:1/1/K)
    if v.cols not in (1, a.cols):
        raise StackClaimError(f"{name}: {a.rows}×{a.cols} and {v.rows}×{v.cols}: one sequence per column")
    kernel = [v.col(0 if v.cols == 1 else c) for c in range(a.cols)]
    if name == "convolve":                                  # convolve(a, v) = correlate(a, v reversed), full
        kernel = [col[::-1, :] for col in kernel]
    length, width = a.rows, v.rows
    if mode == "valid":
        rows, shift = abs(length - width) + 1, 0
    else:
        rows, shift = length + width - 1, width - 1
    if mode == "valid" and length < width:
        raise StackClaimError(f"{name}(a, v, 'valid') slides the shorter v along the longer a")
    return sp.Matrix(rows, a.cols, lambda n, c: sp.Add(*[
        a[n - shift + i, c] * kernel[c][i, 0] for i in range(width) if 0 <= n - shift + i < length]))


@functools.lru_cache(maxsize=8)
def _bounded(stack: Stack, m: int) -> None:
    """verify's work budget, counted once per stack and batch (a claims file checks many claims on one)."""
    check_work(stack, m, what="checking claims on")


def _planted(stack: Stack, k: int):
    """The kind's classic wrong rules (its module's planted_* builders), each with its one-line description."""
    layer = stack.layers[k - 1]
    entry = KINDS.get(layer.kind)
    if entry is None:
        return []
    module = importlib.import_module(entry.build.__module__)
    argument = layer.label.partition(":")[2]
    found = []
    for name in sorted(dir(module)):
        if name.startswith("planted_"):
            builder = getattr(module, name)
            try:
                wrong = builder(argument, stack.widths[:k])
            except Exception:             # a wrong rule that does not apply to this layer's arguments
                continue
            text = (builder.__doc__ or name).strip().splitlines()[0]
            found.append((re.sub(r"^A wrong rule for the tests:\s*", "", text), wrong))
    return found


def check_stack_claim(stack: Stack, claim: str, m: int | None = None, seed: int = 0) -> StackVerdict:
    if len(claim) > MAX_LENGTH:
        raise StackClaimError(f"a claim has at most {MAX_LENGTH} characters")
    text = normalise(claim)
    left, equals, right = text.partition("=")
    if not equals or "=" in right:
        raise StackClaimError(f"{claim!r}: a claim is one equation, d<name><layer> = …")
    match = _LHS.fullmatch(left)
    if match is None:
        raise StackClaimError(f"{left.strip()!r}: the left side names one gradient, as dx2, dgamma2 or dE/dW3")
    raw, k, step = match.group(2) + (match.group(4) or ""), int(match.group(3)), match.group(4)
    if not 1 <= k <= stack.depth:
        raise StackClaimError(f"layer {k}: the stack has layers 1 to {stack.depth}")
    right = re.sub(r"\bd[ELl]\s*/\s*d(?=[A-Za-z_])", "d", right)      # ∂ℓ/∂x̂1 on the right: dxhat1
    try:
        tree = ast.parse(right.strip(), mode="eval")
    except SyntaxError:
        raise StackClaimError(f"{right.strip()!r}: cannot read the right side (arithmetic on layer names, "
                              "sum_c(…), sum_i(…), sqrt(…))") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise StackClaimError(f"the right side is longer than {MAX_NODES} terms")
    _bounded(stack, m or stack.batch)                 # the graph and its proofs, as verify's, within the budget
    graph = Graph(stack, m)
    scope = _scope(graph, k)
    layer = stack.layers[k - 1]
    sources = stack.sources(k)
    aliases = dict(layer.gradient_aliases)
    if match.group(1) or raw in aliases or not raw.startswith("d"):
        target = aliases.get(raw, raw)
    else:
        target = raw[1:]                     # dxhat1, dh1[2]: the d of ∂E/∂
    stage = None                             # a stage's ∂E/∂, by the chain rule on the layer's stages
    if target in ("x", "h"):
        position = 0 if target == "x" else 1
        if position >= len(sources):
            raise StackClaimError(f"layer {k} ({layer.label}) has one input, x")
        by = graph.H[sources[position]]
    elif target in graph.values[k] and target in dict(layer.parameters):
        by = graph.values[k][target]
    elif target != "y" and f"d{target}" in scope.names and target in {s.name for s in layer.stages}:
        stage = scope.names[f"d{target}"]
        by = stage
    else:
        def shown(name: str) -> str:                     # a time step's stage a2 is written da1[2]
            timed = re.fullmatch(r"([A-Za-z_]+?)(\d+)", name)
            return f"d{name}{k}" if timed is None else f"d{timed[1]}{k}[{timed[2]}]"
        stages = [s.name for s in layer.stages if s.name != "y"]
        said = left.strip() if step is None else f"{match.group(2)}{k}[{step}]"
        raise StackClaimError(f"{said}: layer {k} ({layer.label}) has the gradients "
                              + ", ".join(shown(n) for n in ["x", *(["h"] if len(sources) > 1 else []),
                                                             *dict(layer.parameters), *stages]))
    rhs = _evaluate(tree.body, scope, k)
    if not isinstance(rhs, sp.MatrixBase):
        rhs = sp.Matrix(by.rows, by.cols, lambda i, j: rhs)
    rhs = _broadcast(rhs, sp.zeros(*by.shape), lambda a, b: a + b)
    if rhs.shape != by.shape:
        raise StackClaimError(f"the right side is {rhs.shape[0]}×{rhs.shape[1]}, d{target}{k} "
                              f"{by.shape[0]}×{by.shape[1]}")
    written = (f"d{target}{k}" if step is None       # the gradient as the claim names it: dx1, delta1[2]
               else f"{'d' if match.group(1) else ''}{match.group(2)}{k}[{step}]")
    verdict = StackVerdict(claim, k, written, components=by.rows * by.cols)
    weakest = "proved"
    for i in range(by.rows):
        for j in range(by.cols):
            name = f"{written}[{i + 1},{j + 1}]"
            direct = graph.local(k, by[i, j]) if stage is None else graph.step(stage[i, j])
            identity = check(name, direct, graph.step(rhs[i, j]), k, seed)
            if identity.status == "refuted":
                verdict.status, verdict.component = "wrong", name
                verdict.how = f"{name} differs from the chain rule through layer {k}'s forward rule"
                verdict.counterexample = identity.point
                at = {sp.Symbol(s, real=True): sp.Rational(v) for s, v in (identity.point or {}).items()}
                verdict.values = (float(sp.N(graph.step(rhs[i, j]).xreplace(at))), float(sp.N(direct.xreplace(at))))
                verdict.diagnosis = _diagnose(stack, graph, k, target, rhs, by, at)
                return verdict
            if identity.status == "numeric":
                weakest = "numeric"
    verdict.status = weakest
    verdict.how = (f"all {verdict.components} components equal the chain rule through layer {k} "
                   + ("exactly" if weakest == "proved" else "at random points (numeric)"))
    return verdict


def _diagnose(stack: Stack, graph: Graph, k: int, target: str, rhs: sp.Matrix, by: sp.Matrix, at) -> str:
    """The classic wrong rule of the kind the claim equals at the counterexample, else what differs. The point
    covers the refuted component's symbols; the others' take fixed random values."""
    xs = [graph.H[s] for s in stack.sources(k)]
    rng = random.Random(1)
    free = {v for M in [*xs, *graph.values[k].values(), graph.G[k]] for v in M} - set(at)
    at = {**{s: sp.Rational(rng.randint(-40, 40), rng.choice((7, 9, 11))) for s in sorted(free, key=str)}, **at}
    for description, wrong in _planted(stack, k):
        try:
            dxs, dps = wrong.backward(xs, graph.out[k], graph.values[k], graph.G[k])
        except Exception:
            continue
        rule = dxs[0 if target == "x" else 1] if target in ("x", "h") else dps.get(target)
        if rule is None or rule.shape != rhs.shape:
            continue
        if all(abs(sp.N((graph.step(rhs[i, j]) - graph.step(rule[i, j])).xreplace(at), 30)) < 1e-20
               for i in range(by.rows) for j in range(by.cols)):
            return f"this is a classic error of {stack.layers[k - 1].kind}: {description}"
    return "not one of the kind's known errors; compare the two values above"


def check_stack_claims(stack: Stack, claims: list[tuple[str, str]]) -> list[tuple[str, StackVerdict]]:
    out = []
    for where, claim in claims:
        try:
            out.append((where, check_stack_claim(stack, claim)))
        except StackClaimError as error:
            raise StackClaimError(f"{where}: {error}") from None
    return out
