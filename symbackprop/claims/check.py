"""Checking a hand derivation: each claim proved, found to hold numerically, or shown wrong and diagnosed.

A claim (claims.py) is an equation in general form. It is instantiated at every layer, unit and
sample of the network where its quantities exist (a claim about W^{l+1} is stated for l < L, as a
textbook does), and each instance is checked like a step of ``verify``:

- the left side is the truth, by the chain rule on E (``direct.ChainRule``, never the δ equations):
  δ^l_ic is scale · ∂E/∂Z^l_ic (scale: 1 in the matrix notation, m in theta and ufldl), ∂E/∂W^l_ij
  is the partial itself;
- on the right, every δ and ∂E/∂… the claim uses is also replaced by its truth, so a δ^l written in
  terms of δ^{l+1} is checked as the induction step it is;
- ``verify.check_step`` then proves the two equal exactly (for generic activations, for every
  differentiable activation), or tests them at random points at 100 digits, or finds a counterexample.

A wrong claim is diagnosed by repairs (``REPAIRS``, rules as data): each changes the claim in one
classic way (a constant factor, a factor g′ missing or extra, a transposition, an assumption on Y,
another loss or activation) and the changed claim is checked on the network like the original. A
diagnosis is reported only when its repaired claim holds.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import cast

import sympy as sp

from ..model.errors import SpecError
from ..model.losses import LOSSES
from ..model.notations import Notation
from ..model.notations import notation as notation_named
from ..symbolic.derive import Derivation, Step, as_derivation, derive
from ..symbolic.direct import adjoint_symbol
from ..symbolic.general import A, General, Partial, W, Z, b, delta, g, gprime, lam, m
from ..symbolic.general import E as ERROR
from ..symbolic.points import Point, random_point
from ..symbolic.verify import FAILED, NUMERIC, PROVED, Result, check_step, numeric_test, residual
from ..writeup.printing import Printer
from .budget import MAX_CLAIMS, MAX_TOTAL_TERMS, check_budget
from .functions import check_function, is_function_claim
from .parse import (
    ClaimSyntaxError,
    Error,
    Node,
    Parser,
    PartialOf,
    Ref,
    SumOver,
    Transpose,
    split_claims,
    substitute,
    walk,
)
from .reading import Claim, Dim, ShapeMismatch, interpret

WRONG = "wrong"
DECAY = "lam"             # the symbolic weight decay a claim that writes λ is checked with, on a network without one
SHOWN = 3                      # failing instances listed in the text
PROBE_TOLERANCE = 1e-40        # relative, at 100 digits: far above rounding, far below any real difference


class ClaimError(SpecError):
    """A claim that reads but says nothing about this network (no layer of it has its quantities)."""


class _Missing(Exception):
    """A quantity at a layer the network does not have: the claim is not stated there."""


class _Undefined(Exception):
    """A unit or sample index outside its range: the claim is wrong there."""


class _Absent(_Undefined):
    """A unit or sample the network does not have: if every instance names one, the claim says nothing about it."""


class _Instances(General):
    """General's instantiation, with every layer and index checked against the network."""

    def size(self, layer) -> int:
        layer = int(layer)
        if not 0 <= layer <= self.net.depth:
            raise _Missing(f"layer {layer + self.notation.layer_offset} does not exist")
        return self.net.sizes[layer]

    def entry(self, q: sp.Indexed) -> sp.Expr:
        kind, idx = q.base.name, [int(k) for k in q.indices]
        if kind == "n":                                # a layer's size outside any sum's limit: n^2 = 1
            return sp.Integer(self.size(idx[0]))
        if kind == "Y":
            units, layer, sample = idx[:-1], self.net.depth, idx[-1]
        elif kind in ("W", "b"):
            units, layer, sample = idx[1:], idx[0], None
        else:
            units, layer, sample = idx[1:-1], idx[0], idx[-1]
        low = 0 if kind == "A" else 1
        if layer == 0 and kind == "Z" and self.notation.input_node:      # seed 001: z^(1) is the input x
            return self.entry(A[q.indices])
        if layer == 0 and kind != "A":
            raise _Missing(f"layer {self.notation.layer_offset} is the input layer: it has no pre-activation or error "
                           "signal")
        if not low <= layer <= self.net.depth:
            raise _Missing(f"{self._name(q)}: layer {layer + self._shift(kind)} does not exist")
        ranges = [self.net.sizes[layer]] + ([self.net.sizes[layer - 1]] if kind == "W" else [])
        for unit, top in zip(units, ranges, strict=True):
            if not 1 <= unit <= top:
                raise _Absent(f"{self._name(q)} does not exist: the units there are 1..{top}")
        if sample is not None and not 1 <= sample <= self.net.batch:
            raise _Absent(f"{self._name(q)} does not exist: the samples are 1..{self.net.batch}")
        return super().entry(q)

    def _shift(self, kind: str) -> int:
        return self.notation.shift(kind)

    def _name(self, q: sp.Indexed) -> str:
        return Printer(self.notation, samples=self.net.batch).text(q)

    def _activation(self, e: sp.Expr) -> sp.Expr:
        if int(e.args[0]) == 0 and self.notation.input_node:      # seed 001: h^(1) is the identity, Ψ^(1) = 1
            return e.args[1] if e.func == g else sp.Integer(1)
        if not 1 <= int(e.args[0]) <= self.net.depth:
            raise _Missing(f"layer {int(e.args[0]) + self.notation.layer_offset} has no activation")
        if not self.net.rule(int(e.args[0])).elementwise:
            raise _Undefined(f"layer {int(e.args[0]) + self.notation.layer_offset} is a softmax: it has no "
                             "entrywise g or g′, only its Jacobian")
        return super()._activation(e)


# --- results -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Diagnosis:
    kind: str         # factor, gprime, transposition, assumption, other network, output layer, shapes, one sample
    message: str
    proved: bool      # the repaired claim was proved exactly (not only at random points)


@dataclass(frozen=True)
class Failure:
    """One instance where the claim does not hold: the values at a point, or why it is not defined."""

    instance: str
    claim: float | None = None
    truth: float | None = None
    point: dict = field(default_factory=dict)
    reason: str = ""


@dataclass
class Verdict:
    """What ``check`` says of one claim."""

    claim: str
    notation: str
    read_as: str = ""
    status: str = WRONG          # proved, numeric or wrong
    method: str = ""
    layers: str = ""
    instances: int = 0
    failures: list[Failure] = field(default_factory=list)
    failed: int = 0
    diagnoses: list[Diagnosis] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != WRONG

    def text(self) -> str:
        lines = [self.claim, f"  read as: {self.read_as}"] if self.read_as else [self.claim]
        lines += [f"  note: {n}" for n in self.notes]
        where = f" at {self.layers}" if self.layers else ""
        if self.ok:
            label = "proved" if self.status == PROVED else "holds numerically"
            held = "its one instance holds" if self.instances == 1 else f"all {self.instances} instances hold"
            lines.append(f"  {label}{where}: {held} ({self.method})")
        else:
            lines.append(f"  WRONG{where}: " + (f"{self.failed} of {self.instances} instances fail" if self.instances
                                                else self.method))
            printer = Printer(notation_named(self.notation))
            shown: dict = {}
            for f in self.failures[:SHOWN]:
                lines.append("    " + _failure_text(f, printer, whole_point=f.point != shown))
                shown = f.point or shown
            if len(self.failures) > SHOWN:
                lines.append(f"    … and {len(self.failures) - SHOWN} more")
            lines += [f"  diagnosis: {d.message}" + (" (proved)" if d.proved else "") for d in self.diagnoses]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"claim": self.claim, "notation": self.notation, "read_as": self.read_as, "status": self.status,
                "ok": self.ok, "method": self.method, "layers": self.layers, "instances": self.instances,
                "failed": self.failed, "failures": [_finite(f.__dict__) for f in self.failures],
                "diagnoses": [d.__dict__ for d in self.diagnoses], "notes": self.notes}


def _finite(values: dict) -> dict:
    """NaN and infinities as null: JSON has no such numbers."""
    return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.items()}


MAX_POINT_SHOWN = 24      # the inputs of a counterexample printed; --json carries every one


def _number(x: float) -> str:
    return f"{x:.10g}" if math.isfinite(x) else f"{x} (not a finite number)"


def _failure_text(f: Failure, printer: Printer, whole_point: bool) -> str:
    """The instance, both values, and (for the first) every input of the point: enough to reproduce it."""
    if f.reason:
        return f"{f.instance}: {f.reason}"
    assert f.claim is not None and f.truth is not None      # a failure without a reason has both values
    text = f"{f.instance}: claim {_number(f.claim)} but truth {_number(f.truth)}"
    if not whole_point:
        return text + " (at the same point)"
    values = [f"{printer.text(sp.Symbol(k))}={v:.4g}" for k, v in f.point.items()]
    if len(values) > MAX_POINT_SHOWN:      # hundreds of inputs on a wide network: a screenful says nothing more
        values = values[:MAX_POINT_SHOWN] + [f"… and {len(values) - MAX_POINT_SHOWN} more (--json gives them all)"]
    return text + " at " + ", ".join(values)


# --- checking one claim on one network -------------------------------------------------------------------------

@dataclass
class _Outcome:
    """The instances of one claim on one network, checked."""

    instances: int = 0
    statuses: dict = field(default_factory=dict)      # reader layer -> statuses of its instances
    failures: list = field(default_factory=list)
    numeric: list = field(default_factory=list)
    methods: set = field(default_factory=set)
    pairs: list = field(default_factory=list)          # (name, truth, claim) of the failing instances
    skipped: list = field(default_factory=list)        # why layers were left out
    absent: int = 0                                    # instances naming a unit or sample the network lacks

    @property
    def holds(self) -> bool:
        return self.instances > 0 and not self.failures

    @property
    def proved(self) -> bool:
        return self.holds and not self.numeric


class _Network:
    """One derivation and the machinery to instantiate and check claims on it."""

    def __init__(self, d: Derivation, notation: Notation, seed: int = 0):
        self.d, self.notation, self.seed = d, notation, seed
        self.general = _Instances(d.chain, notation)
        self.cache: dict = {}
        fp = d.forward
        nodes = list(fp.definitions) + list(fp.parameters.values()) + list(fp.X)
        self.adjoints = {adjoint_symbol(v): v for v in nodes}

    def resolve(self, expr: sp.Expr) -> sp.Expr:
        """Every ∂E/∂(node) as the chain rule on E gives it: the truth, never the δ equations."""
        found = [s for s in expr.free_symbols if s in self.adjoints]
        truth = {s: self.d.chain.partial(self.adjoints[s]) for s in found}
        if ERROR in expr.free_symbols:            # a claim about the error itself: the forward pass's E
            truth[ERROR] = self.d.forward.E
        return expr.xreplace(truth)

    def layers(self, claim) -> list[int | None]:
        x = self.general.x
        symbols = claim.lhs.free_symbols | claim.rhs.free_symbols
        if x.reader_l not in symbols:
            return [None]
        offset = self.notation.layer_offset
        return list(range(offset, self.d.net.depth + offset + 1))

    def at_layer(self, claim, layer) -> list[dict]:
        """Every assignment of the claim's free letters at one reader layer."""
        x = self.general.x
        base = {x.reader_l: layer} if layer is not None else {}
        base[x.reader_L] = self.d.net.depth + self.notation.layer_offset
        ranges = [[(letter, k) for k in range(1, self._extent(dim, base) + 1)] for letter, dim in claim.free.items()]
        return [base | dict(choice) for choice in itertools.product(*ranges)]

    def _extent(self, dim: Dim, base: dict) -> int:
        if dim.kind == "m":
            return self.d.net.batch
        if dim.kind == "1":
            return 1
        return self.general.size(cast(sp.Expr, dim.layer).xreplace(base))

    def check(self, claim, *, first_failure: bool = False) -> _Outcome:
        """Every instance of the claim proved, tested or refuted (see verify.check_step); with
        ``first_failure``, stop at the first refuted instance (a repair asks only whether a claim holds)."""
        out = _Outcome()
        for layer in self.layers(claim):
            try:
                count, rows = self._rows(claim, layer, lazy=first_failure)
            except _Missing as missing:             # the claim is not stated at this layer
                out.skipped.append(f"l = {layer}: {missing}" if layer is not None else str(missing))
                continue
            statuses = out.statuses.setdefault(layer, [])
            out.instances += count
            for name, pair in rows:
                if isinstance(pair, str):           # an index out of range: wrong here, with the reason
                    out.failures.append(Failure(name, reason=str(pair)))
                    out.absent += isinstance(pair, _AbsentReason)
                    statuses.append(FAILED)
                    continue
                truth, claimed = pair
                result = self.judge(name, truth, claimed)
                statuses.append(result.status)
                if result.status == FAILED:
                    ce = result.counterexample
                    assert ce is not None                  # a failed check has its counterexample
                    out.failures.append(Failure(name, ce.closed, ce.direct, ce.point))
                    out.pairs.append((name, truth, claimed))
                    if first_failure:
                        return out
                elif result.status == NUMERIC:
                    out.numeric.append(result.method)
                else:
                    out.methods.add(result.method)
        return out

    def _rows(self, claim, layer, *, lazy: bool) -> tuple[int, Iterable]:
        """The instances at one reader layer; ``lazy``: each built when it is checked, so a claim refuted at its
        first instance builds only that one. Whether the claim is stated at the layer (_Missing) depends on the
        layer alone, so the first instance tells it for all of them."""
        assignments = self.at_layer(claim, layer)
        if not lazy:
            return len(assignments), [self._instance(claim, at) for at in assignments]
        first = [self._instance(claim, assignments[0])] if assignments else []
        return len(assignments), itertools.chain(first, (self._instance(claim, at) for at in assignments[1:]))

    def judge(self, name: str, truth: sp.Expr, claimed: sp.Expr, assume: dict | None = None) -> Result:
        """verify's check of one equation, after one cheap point: a wrong instance fails there at once,
        before an exact method tries (and fails) to reduce a large nonzero difference to 0."""
        if self._differs(truth, claimed):
            worst, counterexample = numeric_test(self.d, truth, claimed, self.seed, assume)
            if counterexample is not None:
                return Result(name, FAILED, "differs at a random point", worst, counterexample)
        return check_step(self.d, Step(name, truth, claimed, assume=assume or {}), self.seed, self.cache)

    def _differs(self, truth: sp.Expr, claimed: sp.Expr) -> bool:
        """Relative to the values themselves, not to max(1, |value|): through 37 sigmoid layers δ¹ is ~1e-40, so a
        wrong claim differed by less than the tolerance and went on to an exact method that expanded a product of
        36 sums (past 300 s). The probe only decides whether the full numeric test runs first; that test is the
        judge. Where both sides are 0 at the first point (a relu unit off for every sample there), a second point
        looks: dE/dW2 = δ² A¹ᵀ/m on a relu-softmax network was 0 = 0 at the first and went to an exact expansion of
        a wrong claim (90 s)."""
        for probe in self.probes:
            a, b = probe.evaluate(truth), probe.evaluate(claimed)
            if not residual(a, b) <= PROBE_TOLERANCE:
                return True
            scale = max(abs(a), abs(b))
            if scale:
                return not abs(a - b) / scale <= PROBE_TOLERANCE
        return False

    @cached_property
    def probes(self) -> tuple[Point, ...]:
        return random_point(self.d.forward, self.seed, 1), random_point(self.d.forward, self.seed + 7, 2, k=1)

    def _instance(self, claim, at: dict) -> tuple[str, tuple[sp.Expr, sp.Expr] | str]:
        """(name, (truth, claim)) at one assignment, or (name, why it is not defined); _Missing propagates."""
        name = self._instance_name(at)
        at = at | ({claim.sample: 1} if claim.sample is not None else {})
        try:
            lhs, rhs = self.general.concrete(claim.lhs, at), self.general.concrete(claim.rhs, at)
        except _Absent as absent:
            return name, _AbsentReason(absent)
        except _Undefined as undefined:
            return name, str(undefined)
        return name, (self.resolve(lhs), self.resolve(rhs))

    def _instance_name(self, at: dict) -> str:
        x = self.general.x
        return ", ".join(f"{k}={v}" for k, v in at.items() if k != x.reader_L) or "its one instance"


class _AbsentReason(str):
    """Why an instance is not defined: it names a unit or sample the network does not have."""


# --- repairs: how a wrong claim could be made right --------------------------------------------------------------

FACTORS = {  # claim / truth -> what it means (m is the batch size)
    "1/m": "the claim is 1/m times the truth: an extra factor 1/m",
    "m": "the claim is m times the truth: the 1/m of the mean over the m samples is missing",
    "2": "the claim is twice the truth: a factor 2 too many (the ½ of the squared error cancels the 2 of the square)",
    "1/2": "the claim is half the truth: a factor 2 is missing",
    "-1": "the claim has the wrong sign: A − Y and Y − A swapped?",
}


def _ratio(net: _Network, pairs) -> sp.Float | None:
    """claim / truth if it is one finite nonzero number at every failing instance and at two points."""
    ratios = []
    for k in (101, 102):
        point = random_point(net.d.forward, net.seed + k, 1, k=k)
        for _, truth, claim in pairs:
            t, c = point.evaluate(truth), point.evaluate(claim)
            if not all(v.is_number and v.is_finite for v in (t, c)):
                return None
            if abs(t) < 1e-30:                # a relu unit off at this point: 0 = c · 0 says nothing of c
                if abs(c) < 1e-30:
                    continue
                return None
            ratios.append(c / t)
    same = all(abs(r - ratios[0]) <= 1e-40 * max(1, abs(ratios[0])) for r in ratios)
    return ratios[0] if ratios and same and ratios[0] != 0 else None


def repair_factor(ctx: _Context) -> Diagnosis | None:
    """The claim is a constant c m^p times the truth (p = -1, 0, 1): 1/m missing or extra, a factor 2, a sign.
    The power of m shows when the ratio is found again on the same network with one more sample."""
    assert ctx.claim is not None and ctx.outcome is not None
    k0 = _ratio(ctx.net, ctx.outcome.pairs)
    if k0 is None:
        return None
    if ctx.claim.sample is not None:          # one sample's claim, at batch 1: m^p is 1, the ratio is the constant
        power, c = 0, k0
    else:
        other = ctx.variant(batch=ctx.net.d.net.batch + 1)
        if other is None:
            return None
        k1 = _ratio(other, other.check(ctx.claim, first_failure=True).pairs)   # one instance confirms it
        m0, m1 = ctx.net.d.net.batch, other.d.net.batch
        for power in (0, 1, -1):
            c = k0 / sp.Integer(m0) ** power
            if k1 is not None and abs(c - k1 / sp.Integer(m1) ** power) <= 1e-30 * max(1, abs(c)):
                break
        else:
            return None
    c = sp.nsimplify(float(c), rational=True, tolerance=1e-12)
    key = {(0, 2): "2", (0, sp.Rational(1, 2)): "1/2", (0, -1): "-1", (1, 1): "m", (-1, 1): "1/m"}.get((power, c))
    message = FACTORS[key] if key else f"the claim is {c * m ** power} times the truth"
    proved = ctx.holds_with(lambda rhs: rhs / (c * m ** power))
    return Diagnosis("factor", message, proved == "proved") if proved else None


def repair_gprime(ctx: _Context) -> Diagnosis | None:
    """δ^l_ic (or ∂E/∂Z^l_ic) off by the factor g′(Z^l_ic) of its own unit."""
    assert ctx.claim is not None
    lhs = ctx.claim.lhs
    node = lhs if isinstance(lhs, sp.Indexed) and lhs.base == delta else None
    if node is None:                         # ∂E/∂Z^l_ic, or a notation's multiple of it (Goodfellow's m ∂J/∂a)
        node = next((p.args[1] for p in lhs.atoms(Partial) if isinstance(p.args[1], sp.Indexed)
                     and p.args[1].base == Z), None)
    if node is None:
        return None
    factor = gprime(node.indices[0], Z[node.indices])
    glyph = Printer(ctx.net.notation, samples=ctx.net.d.net.batch).text(factor)
    for change, words in ((lambda rhs: rhs * factor, f"a factor {glyph} is missing"),
                          (lambda rhs: rhs / factor, f"an extra factor {glyph}: the output's g′ cancels with this "
                           "loss, or it was applied twice")):
        status = ctx.holds_with(change)
        if status:
            return Diagnosis("gprime", words, status == "proved")
    return None


def repair_transpose(ctx: _Context) -> Diagnosis | None:
    """A weight (or any transposed factor) the wrong way round."""
    for old, new, words in _transpositions(ctx.sides[1], ctx.text):
        try:
            claim = interpret([ctx.sides[0], substitute(ctx.sides[1], old, new)], ctx.net.notation, ctx.text)
        except (ShapeMismatch, ClaimSyntaxError):
            continue
        outcome = ctx.net.check(claim, first_failure=True)
        if outcome.holds:
            return Diagnosis("transposition", f"transposed: {words}, and the claim holds", outcome.proved)
    return None


def repair_swap(ctx: _Context) -> Diagnosis | None:
    """Two of the left side's indices swapped on the right (a^{l-1}_j δ^l_k for a^{l-1}_k δ^l_j)."""
    assert ctx.claim is not None
    letters = sorted((s for s in ctx.claim.free if s.name != ctx.net.general.x.reader_l.name), key=str)
    for a, b_ in itertools.combinations(letters, 2):
        status = ctx.holds_with(lambda rhs, a=a, b_=b_: rhs.xreplace({a: b_, b_: a}))
        if status:
            return Diagnosis("transposition", f"the indices {a} and {b_} swapped on the right side: with them "
                             "exchanged the claim holds", status == "proved")
    return None


def _transpositions(root: Node, text: str):
    """(node, its transposed form, in words) for the whole right side, every weight and every transpose in it."""
    yield root, Transpose(root.start, root.end, root), "the right side transposed"
    for node in walk(root):
        source = text[node.start:node.end].strip()
        if isinstance(node, Transpose):
            yield node, node.arg, f"{source} without its transpose"
        elif isinstance(node, Ref) and node.kind == "W":
            if node.indices is None:
                yield node, Transpose(node.start, node.end, node), f"({source})ᵀ in place of {source}"
            elif len(node.indices) == 2:
                i, j = node.indices
                yield node, replace(node, indices=(j, i)), f"the indices of {source} swapped"


def repair_layer(ctx: _Context) -> Diagnosis | None:
    """A layer index one off: W^l where W^{l+1} is meant, A^l for A^{l-1}, g′(Z^{l+1}) for g′(Z^l), or the left
    side's layer numbered as another notation numbers it."""
    for side, node, moved in _layer_moves(ctx.sides):
        sides = list(ctx.sides)
        sides[side] = substitute(sides[side], node, moved)
        try:
            claim = interpret(sides, ctx.net.notation, ctx.text)
        except (ShapeMismatch, ClaimSyntaxError):
            continue
        outcome = ctx.net.check(claim)
        if outcome.holds:
            was, now = ctx.text[node.start:node.end].strip(), _layer_text(moved.layer)
            where = "on the left side" if side == 0 else "on the right side"
            return Diagnosis("layer", f"a layer index is off by one: with {was} {where} at layer {now}, the claim "
                             "holds", outcome.proved)
    return None


def _layer_moves(sides: list):
    """(side, node, the node one layer up or down) for every quantity and activation written with a layer."""
    for side in (1, 0):
        for node in walk(sides[side]):
            layer = getattr(node, "layer", None)
            if layer is None or (isinstance(node, Ref) and node.kind in ("size", "m", "lambda", "ones")):
                continue
            for step in (1, -1):
                yield side, node, replace(node, layer=replace(layer, offset=layer.offset + step))


def _layer_text(layer) -> str:
    base = layer.base or ""
    if not base:
        return str(layer.offset)
    return base + (f"{layer.offset:+d}" if layer.offset else "")


def repair_assumption(ctx: _Context) -> Diagnosis | None:
    """Right only under an assumption on Y (softmax + cce: each column of Y sums to 1)."""
    net = ctx.net.d.net
    short = net.loss_rule.short_forms.get(net.activation(net.depth))
    if short is None:
        return None
    fp = ctx.net.d.forward
    assume = {}
    for c in range(net.batch):
        assume.update(short.eliminate(list(fp.Y[:, c])))
    assert ctx.outcome is not None
    results = [ctx.net.judge(name, truth.xreplace(assume), claim.xreplace(assume), assume)
               for name, truth, claim in ctx.outcome.pairs]
    if all(r.status != FAILED for r in results):
        said = short.assumption                 # a sample is a column of Y, or a row where the notation says so
        if ctx.net.notation.samples_as_rows:
            said = said.replace("column", "row")
        return Diagnosis("assumption", f"right only if {said}: state that assumption with it",
                         all(r.status == PROVED for r in results))
    return None


OUTPUTS = ("sigmoid", "identity", "tanh", "softmax", "softplus")


def repair_network(ctx: _Context) -> Diagnosis | None:
    """Right for another loss or activation: the classic δ^L = A^L − Y is right for sigmoid with bce."""
    net = ctx.net.d.net
    hidden, output = list(net.layer_activations[:-1]), net.activation(net.depth)
    losses: list[str] = [name for name, rule in LOSSES.items() if rule.suggest]
    this_loss = str(net.loss)
    variants = [(loss, out, hidden) for loss in losses for out in OUTPUTS if (loss, out) != (this_loss, output)]
    variants += [(this_loss, output, [act] * len(hidden)) for act in ("sigmoid", "tanh", "identity")
                 if hidden and [act] * len(hidden) != hidden]
    found = []
    for loss, out, acts in variants:
        other = ctx.variant(loss=loss, activations=(*acts, out))
        if other is not None and other.check(ctx.claim, first_failure=True).holds:
            found.append(_describe(loss, out, acts if acts != hidden else None))
        if len(found) == 3:
            break
    if not found:
        return None
    mention_hidden = any(acts != hidden for _, _, acts in variants)
    this = _describe(this_loss, output, hidden if mention_hidden else None)
    return Diagnosis("other network", f"right for {', or for '.join(found)}; this network has {this}", False)


def _describe(loss: str, output: str, hidden: list | None) -> str:
    article = "an" if output[0] in "aeiou" else "a"
    layers = f" and {hidden[0]} hidden layers" if hidden and len(set(hidden)) == 1 else ""
    return f"{loss} with {article} {output} output{layers}"


def repair_layers(ctx: _Context) -> Diagnosis | None:
    """Right at the output layer only: the output's rule written for every layer."""
    assert ctx.outcome is not None
    statuses = ctx.outcome.statuses
    output = ctx.net.d.net.depth + ctx.net.notation.layer_offset
    if None in statuses or output not in statuses or len(statuses) < 2:
        return None
    if all(s != FAILED for s in statuses[output]) and any(FAILED in v for k, v in statuses.items() if k != output):
        return Diagnosis("output layer", "right only for the output layer (l = L); a hidden layer's δ comes from "
                         "the next layer's δ through the weights", all(s == PROVED for s in statuses[output]))
    return None


def repair_range(ctx: _Context) -> Diagnosis | None:
    """A sum from 0 (seed 001's slip): the same claim with its sums from 1."""
    sums = [node for node in walk(ctx.sides[1]) if isinstance(node, SumOver) and node.low == 0]
    right = ctx.sides[1]
    for node in sums:
        right = substitute(right, node, replace(node, low=1))
    if not sums:
        return None
    outcome = ctx.net.check(interpret([ctx.sides[0], right], ctx.net.notation, ctx.text), first_failure=True)
    if not outcome.holds:
        return None
    letters = ", ".join(sorted({node.var for node in sums}))
    return Diagnosis("range", f"a sum starts at 0: with the sum over {letters} from 1 the claim holds",
                     outcome.proved)


def repair_decay(ctx: _Context) -> Diagnosis | None:
    """With weight decay: a weight's λ W^l_ij forgotten, or a bias decayed (biases are not)."""
    assert ctx.claim is not None
    lhs = ctx.claim.lhs
    if ctx.net.d.net.weight_decay == 0 or not isinstance(lhs, Partial) or lhs.args[1].base not in (W, b):
        return None
    q = lhs.args[1]
    if q.base == W:
        status, words = ctx.holds_with(lambda rhs: rhs + lam * q), "the weight decay's λ W is missing from the gradient"
    else:
        status, words = ctx.holds_with(lambda rhs: rhs - lam * q), "the bias is decayed, but weight decay leaves biases"
    return Diagnosis("decay", words, status == "proved") if status else None


REPAIRS = (repair_decay, repair_layers, repair_range, repair_factor, repair_gprime, repair_transpose, repair_swap,
           repair_layer, repair_assumption, repair_network)
STRUCTURAL = (repair_layers, repair_range, repair_transpose, repair_layer)     # tried even where no instance had values


@dataclass
class _Context:
    """What a repair needs: the network, the claim, its syntax, what failed."""

    net: _Network
    claim: Claim | None               # None, as outcome is, for a claim whose shapes do not fit (syntax repairs)
    sides: list
    text: str
    outcome: _Outcome | None = None

    def holds_with(self, change) -> str:
        """'proved' or 'numeric' if the claim with its right side changed holds on this network, else ''."""
        assert self.claim is not None
        changed = replace(self.claim, rhs=change(self.claim.rhs))
        outcome = self.net.check(changed, first_failure=True)
        return "" if not outcome.holds else "proved" if outcome.proved else "numeric"

    def variant(self, **changes) -> _Network | None:
        """The same network with some of its spec changed (relu'(0) and the rest kept), or None if not valid."""
        try:
            return _Network(derive(replace(self.net.d.net, **changes)), self.net.notation, self.net.seed)
        except (SpecError, ValueError):
            return None


def error_equation(d: Derivation, names: Notation) -> str:
    """The error the claims are about, as the notation writes it: E = 1/(2m) Σ … (which ½ and 1/m it has)."""
    equation = General(d.chain, names).error()
    printer = Printer.for_network(names, d.net)
    return f"{printer.text(equation.lhs)} = {printer.text(equation.rhs)}"


# --- the public entry points --------------------------------------------------------------------------------------

def check(d: Derivation, claim: str, notation: str = "matrix", *, seed: int = 0, diagnose: bool = True) -> Verdict:
    """Check one claim ``lhs = rhs``, written in ``notation``, on the network of ``d``.

    >>> from symbackprop import Network, derive
    >>> d = derive(Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=2))
    >>> check(d, "delta2 = (A2 - Y) * g2'(Z2) / m").status
    'proved'
    >>> check(d, "delta2 = (A2 - Y) * g2'(Z2)").diagnoses[0].message
    'the claim is m times the truth: the 1/m of the mean over the m samples is missing'
    """
    names = notation_named(notation)
    d = as_derivation(d, "check")
    if not isinstance(claim, str):
        raise SpecError(f"a claim is a string such as \"delta2 = (A2 - Y) / m\"; got {type(claim).__name__}")
    parser = Parser(claim, names)
    sides = parser.parse()
    check_budget(sides, parser.text, d.net.sizes, d.net.batch)
    if is_function_claim(sides):                   # g'(z) = …: a claim about an activation itself
        return check_function(d, names, sides, parser.text, claim.strip())
    example = next((node.example for node in walk(sides[0]) if isinstance(node, PartialOf | Error) and node.example),
                   "")
    # Nielsen's C with a sample named (∂C/∂a^L_{j;2}) is the batch's C = (1/n) Σ_x C_x, as a document writes it
    if example == "x" and any(isinstance(node, Ref) and node.sample is not None for side in sides
                              for node in walk(side)):
        example = ""
    word = next((node.name for side in sides for node in walk(side) if isinstance(node, Ref)
                 and node.name in names.example_words.split()), "")    # Ng's dz^{[2]}: one example's
    if (example or word) and (d.net.batch != 1 or d.net.weight_decay != 0):
        d = derive(replace(d.net, batch=1, weight_decay=0))  # ∂E_n/∂w: one example's loss, no penalty: a batch of one
    decay = any(isinstance(node, Ref) and node.kind == "lambda" for side in sides for node in walk(side))
    undecayed = decay and not (example or word) and d.net.weight_decay == 0
    if undecayed:             # λ on a network without weight decay would be 0, its terms unchecked: give it one
        d = derive(replace(d.net, weight_decay=DECAY))
    verdict = _check_one(_Network(d, names, seed), sides, parser.text, claim.strip(), diagnose)
    if undecayed:
        verdict.notes.append("λ: this network has no weight decay, so the claim was checked on it with weight decay λ "
                             "(a symbol, random at each point), not with λ = 0")
    if word and not example:
        verdict.notes.append(f"{word} is one example's quantity: checked on this network with that one example "
                             "(batch 1, no weight decay)")
    if example:
        verdict.notes.append(f"{names.error}_{example} is one example's error: checked on this network with that one "
                             "example (batch 1, no weight decay), where the error is that example's loss")
    return verdict


def check_text(d: Derivation, text: str, notation: str = "matrix", **options) -> list[tuple[int, Verdict]]:
    """Every claim of a file (see claims.split_claims), in order: (line number, verdict)."""
    claims = split_claims(text)
    verdicts = check_claims(d, [(f"line {line}", claim) for line, claim in claims], notation, **options)
    return [(line, verdict) for (line, _), (_, verdict) in zip(claims, verdicts, strict=True)]


def check_claims(d: Derivation, claims: list[tuple[str, str]], notation: str = "matrix", *,
                 progress: Callable[[int, int], None] | None = None, **options) -> list[tuple[str, Verdict]]:
    """(where, claim) pairs, such as ("line 3", "delta2 = …"): every one is read before any is checked, so a
    syntax error anywhere is reported at once, naming where. ``progress(done, total)`` after each claim."""
    names = notation_named(notation)
    d = as_derivation(d, "check_claims")
    if not claims:
        raise ClaimError("no claims: write one equation per line (# and % start comments)")
    if len(claims) > MAX_CLAIMS:
        raise ClaimError(f"{len(claims):,} claims: one check takes at most {MAX_CLAIMS} (split the file)")
    total = 0
    for where, claim in claims:
        try:
            parser = Parser(claim, names)
            total += check_budget(parser.parse(), parser.text, d.net.sizes, d.net.batch)
        except ClaimSyntaxError as error:
            raise type(error)(error.reason, error.column, error.text, where) from None
    if total > MAX_TOTAL_TERMS:
        raise ClaimError(f"too much work: written out, these {len(claims)} claims have up to {total:,} terms together; "
                         f"one check takes at most {MAX_TOTAL_TERMS:,} (split the file)")
    verdicts = []
    for where, claim in claims:
        verdicts.append((where, check(d, claim, notation, **options)))
        if progress:
            progress(len(verdicts), len(claims))
    return verdicts


def _check_one(net: _Network, sides: list, text: str, shown: str, diagnose: bool) -> Verdict:
    """Read, instantiate, check and (if wrong) diagnose one claim."""
    verdict = Verdict(shown, net.notation.name)
    try:
        claim = interpret(sides, net.notation, text)
    except ShapeMismatch as mismatch:
        _exists(net, sides, shown)           # shapes at a layer the network lacks: the claim says nothing about it
        return _misshapen(verdict, net, sides, text, mismatch, diagnose)
    printer = Printer(net.notation, samples=net.d.net.batch)
    verdict.read_as, verdict.notes = f"{printer.text(claim.lhs)} = {printer.text(claim.rhs)}", list(claim.notes)
    if claim.sample is not None and net.d.net.batch != 1 and net.notation.tex.per_sample:
        whole = _as_columns(net, sides, text, shown)
        if whole is not None:
            return whole
    if claim.sample is not None and net.d.net.batch != 1:
        verdict.method = (f"the right side is one sample's ({claim.sample} is free), but "
                          f"{printer.text(claim.lhs)} sums over the {net.d.net.batch} samples: write the sum over "
                          "samples, or check with --batch 1")
        verdict.diagnoses = ([Diagnosis("shapes", claim.columns, False)] if claim.columns else []) + [
            Diagnosis("one sample", verdict.method, False)]
        return verdict
    outcome = net.check(claim)
    if outcome.instances and outcome.absent == outcome.instances and _numbered(sides):
        # delta2[5,1] on a 2-3-1 network. A sum's letter can be out of range in every instance too (a sum from 0, a
        # repeated letter over the wrong layer's units): that is a slip in a claim about this network, wrong as written.
        raise ClaimError(f"{_quoted(shown)} says nothing about this {'-'.join(map(str, net.d.net.sizes))} network: "
                         f"{outcome.failures[0].reason}")
    if outcome.instances == 0:
        raise ClaimError(f"{_quoted(shown)} is stated at no layer of this {'-'.join(map(str, net.d.net.sizes))} "
                         "network: " + "; ".join(outcome.skipped))
    verdict.instances, verdict.failed, verdict.failures = outcome.instances, len(outcome.failures), outcome.failures
    verdict.layers = _layers(net, outcome)
    if outcome.holds:
        _held(verdict, net, outcome)
    else:
        verdict.method = "counterexample"
        ctx = _Context(net, claim, sides, text, outcome)
        verdict.diagnoses = [d for repair in REPAIRS if diagnose and (outcome.pairs or repair in STRUCTURAL)
                             for d in [repair(ctx)] if d]
    return verdict


def _as_columns(net: _Network, sides: list, text: str, shown: str) -> Verdict | None:
    """A per-sample notation's claim in whole matrices, read one sample's and found to be one sample's at m > 1:
    its matrices read with the samples as columns, as a document's matrix form writes them (∂J/∂W^{(l)} =
    (1/m) δ^{(l+1)} (a^{(l)})^T). The verdict where that reading is proved, else None (the one-sample answer)."""
    try:
        claim = interpret(sides, net.notation, text, columns=True)
    except (ShapeMismatch, ClaimSyntaxError):
        return None
    if claim.sample is not None:
        return None
    outcome = net.check(claim)
    if not outcome.instances or not outcome.holds:
        return None
    printer = Printer(net.notation, samples=net.d.net.batch)
    verdict = Verdict(shown, net.notation.name, read_as=f"{printer.text(claim.lhs)} = {printer.text(claim.rhs)}",
                      notes=[*claim.notes, "its matrices read with the samples as columns (read as one sample's "
                             "vectors, the right side is one sample's)"], instances=outcome.instances,
                      layers=_layers(net, outcome))
    return _held(verdict, net, outcome)


def _held(verdict: Verdict, net: _Network, outcome) -> Verdict:
    """A verdict whose every instance holds: proved, or numeric with the evidence's method."""
    verdict.status = PROVED if outcome.proved else NUMERIC
    verdict.method = "; ".join(sorted(outcome.methods)) if outcome.proved else outcome.numeric[0]
    if outcome.proved and not any(r.concrete for r in net.d.net.layer_rules):
        verdict.method += "; g^l generic: for every differentiable activation"
    return verdict


def _numbered(sides: list) -> bool:
    """A unit or sample written as a number, and no sum: only such a number can be out of range in every instance."""
    nodes = [n for side in sides for n in walk(side)]
    return not any(isinstance(n, SumOver) for n in nodes) and any(
        isinstance(n, Ref) and (isinstance(n.sample, int) or any(isinstance(k, int) for k in n.indices or ()))
        for n in nodes)


def _quoted(claim: str) -> str:
    """A claim in quotes as it was typed (repr would double every backslash of its LaTeX)."""
    return f"'{claim}'"


def _exists(net: _Network, sides: list, shown: str) -> None:
    """Every layer written as a number exists in the network (as the claim's notation numbers them), and has the
    quantity: the input layer has activations only (no δ, Z, W or b)."""
    offset, depth = net.notation.layer_offset, net.d.net.depth
    network = f"this {'-'.join(map(str, net.d.net.sizes))} network"
    for node in (n for side in sides for n in walk(side)):
        layer = getattr(node, "layer", None)
        if layer is not None and layer.base is None:
            kind = getattr(node, "kind", "")
            ours = layer.offset - net.notation.shift(kind)
            if not 0 <= ours <= depth:
                raise ClaimError(f"{_quoted(shown)}: {network} has no layer {layer.offset} (its layers are "
                                 f"{offset}..{depth + offset})")
            if ours == 0 and kind in _NOT_AT_INPUT and not (kind == "Z" and net.notation.input_node):
                raise ClaimError(f"{_quoted(shown)}: {network} has no {node.name} at layer {layer.offset}: it is the "
                                 "input layer, with activations only")


_NOT_AT_INPUT = ("delta", "Z", "W", "b")


def _misshapen(verdict: Verdict, net: _Network, sides: list, text: str, mismatch: ShapeMismatch,
               diagnose: bool) -> Verdict:
    """A claim whose shapes do not fit is wrong as written; transposing a factor may make it hold."""
    verdict.method = "the shapes do not fit"
    ctx = _Context(net, None, sides, text)
    repaired = (repair_transpose(ctx) or repair_layer(ctx)) if diagnose else None
    verdict.diagnoses = [Diagnosis("shapes", str(mismatch), False)] + ([repaired] if repaired else [])
    return verdict


def _layers(net: _Network, outcome: _Outcome) -> str:
    layers = [k for k in outcome.statuses if k is not None]
    if not layers:
        return ""
    low, high = min(layers), max(layers)
    return f"l = {low}" if low == high else f"l = {low}..{high}"
