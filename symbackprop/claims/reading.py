"""Reading a hand derivation, its meaning: a claim's syntax tree (claims.py) as the general equations' SymPy form.

The tree becomes SymPy in the reader's notation: ``Indexed`` quantities ``W[l, i, j]``, ``Z[l, i, c]``,
``delta[l, i, c]``, the activation ``g(l, z)`` and ``gprime(l, z)``, ``Partial(E, W[l, i, j])`` (general.py),
so that check.py can instantiate it like a printed equation.

A matrix claim becomes its component form: ``delta2 = (W3.T @ delta3) * g2'(Z2)`` is read as
δ²_ic = Σ_k W³_ki δ³_kc · g²′(Z²_ic). ``*``, ``·`` and juxtaposition multiply entrywise when the two
shapes agree and as matrices when they conform, so ``(A2 - Y) * g2'(Z2)`` is a Hadamard product and
``delta2 * A1.T`` a matrix product, as people write them; ``@`` is always the matrix product and
``⊙``, ``.*``, ``\\odot``, ``\\circ`` always entrywise. A product that fits neither way is not a syntax
error but a mistake of the claim (``ShapeMismatch``), reported with its shapes. A letter on the right
side only is summed over its range (the repeated-index convention); the left side's letters keep the
left side's ranges.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, cast

import sympy as sp

from ..model.notations import Notation
from ..symbolic.general import (
    A,
    E,
    Partial,
    W,
    Y,
    Z,
    b,
    delta,
    g,
    gprime,
    lam,
    m,
    n,
    named,
    named_prime,
    signal_scale,
)
from ..writeup.printing import Printer, tex_to_text
from .parse import (
    FUNCTIONS,
    Apply,
    ClaimSyntaxError,
    Error,
    Layer,
    Neg,
    Node,
    Norm,
    Num,
    Op,
    Parser,
    PartialOf,
    Power,
    Ref,
    SumOver,
    Transpose,
    walk,
)


class ShapeMismatch(Exception):
    """A matrix claim whose shapes do not fit: a mistake in the claim, not in its syntax."""

    def __init__(self, message: str, operands: tuple = ()):
        super().__init__(message)
        self.operands = operands          # the syntax nodes that did not fit (for a transposition repair)


# --- from syntax to SymPy ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dim:
    """One side of a shape: the units of a layer (kind n, our layer), the samples (m), 1, or * (a column of
    ones, as long as what it multiplies)."""

    kind: str
    layer: sp.Expr | None = None      # set exactly when kind is n

    def size(self) -> sp.Expr:
        if self.kind == "*":
            raise ShapeMismatch("the length of the column of ones cannot be told from what it multiplies")
        return {"n": lambda: n[self.layer], "m": lambda: m, "1": lambda: sp.Integer(1)}[self.kind]()

    def same(self, other: Dim) -> bool:
        if "*" in (self.kind, other.kind):
            return True
        return self.kind == other.kind and (self.kind != "n" or sp.expand(cast(sp.Expr, self.layer) - other.layer) == 0)

    def maybe(self, other: Dim) -> bool:
        """Equal at some layer: l against L (the claim then fails where they differ)."""
        return self.kind == other.kind == "n" and bool((cast(sp.Expr, self.layer) - other.layer).free_symbols)

    def show(self, notation: Notation) -> str:
        if self.kind != "n":
            return {"*": "any", "m": "m", "1": "1"}[self.kind]
        reader = Printer(notation).latex(cast(sp.Expr, self.layer) + notation.layer_offset)
        return tex_to_text(notation.tex.size.replace("@l", reader))


@dataclass(frozen=True)
class Tensor:
    """A value of the claim: a scalar (shape None) or a matrix given entry by entry, ``at(row, col)``."""

    shape: tuple[Dim, Dim] | None
    at: Callable[[Any, Any], sp.Expr]     # (row, col) -> sp.Expr
    node: Node | None = None

    @property
    def scalar(self) -> bool:
        return self.shape is None or (self.shape[0].kind == "1" and self.shape[1].kind == "1")

    def entry(self, i, j) -> sp.Expr:
        return self.at(i, j) if self.shape is not None else self.at(None, None)

    def broadcast(self, i, j) -> sp.Expr:
        """Entry (i, j), a column repeated along the samples and a scalar everywhere."""
        if self.shape is None:
            return self.at(None, None)
        return self.at(1 if self.shape[0].kind == "1" else i, 1 if self.shape[1].kind == "1" else j)

    def shown(self, notation: Notation) -> str:
        return "a scalar" if self.shape is None else "×".join(d.show(notation) for d in self.shape)


@dataclass
class Claim:
    """One claim read: lhs = rhs in general form, with its free indices and how each was read."""

    text: str
    lhs: sp.Expr
    rhs: sp.Expr
    free: dict[sp.Symbol, Dim]              # the lhs's letters and their ranges
    notes: list[str] = field(default_factory=list)
    sample: sp.Symbol | None = None         # a per-sample quantity's implicit sample, where free
    columns: str = ""                       # an n×1 left side against an n×m right side: how the shapes differ


class Reader:
    """Turns a syntax tree into SymPy, in one notation, keeping the letters each index was bound to."""

    def __init__(self, notation: Notation, text: str, columns: bool = False):
        from ..symbolic.general import Letters
        self.notation, self.text, self.x = notation, text, Letters(notation)
        self.columns = columns                   # a per-sample notation's whole matrix read with every sample
        self.offset = notation.layer_offset
        self.uses: dict[str, Dim] = {}          # letter -> the range of the first place it indexes
        self.bound: set[str] = set()
        self.scopes: list[dict[str, Dim]] = []     # the letters used in each sum being read, innermost last
        self.samples: list[sp.Expr] = []       # the sample of per-sample quantities: innermost sum first
        self.sample_letter = notation.letters[3]
        self.fresh: Iterator[str] = iter(())     # summation letters for matrix products (set by interpret)
        self.unit: tuple[sp.Expr, Dim, sp.Expr] | None = None   # a component claim's unit, its range, its sample
        self.notes: list[str] = []
        self.one_column = ""                     # set when an n×1 left side meets an n×m right side
        self.implicit = False                    # a quantity read at the implicit sample
        self.consumer: Ref | None = None         # what the left side's quantity feeds (Goodfellow's running g)

    def letter(self, name) -> sp.Expr:
        return sp.Integer(name) if isinstance(name, int) else sp.Symbol(name, integer=True, positive=True)

    def source(self, node: Node) -> str:
        return self.text[node.start:node.end].strip()

    # --- quantities ---

    def our_layer(self, ref: Ref) -> sp.Expr:
        if ref.layer is None:
            raise ClaimSyntaxError(f"{ref.name} needs a layer, as in {ref.name}^l or {ref.name}2", ref.start + 1,
                                   self.text)
        reader = ref.layer.expr(self.x.reader_l, self.x.reader_L)
        return reader - self.notation.shift(ref.kind)

    def current_sample(self) -> sp.Expr:
        return self.samples[-1] if self.samples else self.letter(self.sample_letter)

    def use(self, letter, dim: Dim) -> sp.Expr:
        """A letter indexing a quantity: its range, for the claim and for each sum around it, is its first use."""
        if isinstance(letter, str):
            for uses in (self.uses, *self.scopes):
                uses.setdefault(letter, dim)
        return self.letter(letter)

    def ref(self, r: Ref) -> Tensor:
        kind = r.kind
        if kind == "m":
            return Tensor(None, lambda i, j: m, r)
        if kind == "lambda":
            return Tensor(None, lambda i, j: lam, r)
        if kind == "ones":
            return Tensor((Dim("*"), Dim("1")), lambda i, j: sp.Integer(1), r)   # as long as what it meets
        if kind == "size":
            return Tensor(None, lambda i, j: n[self.our_layer(replace(r, kind="Z"))], r)
        if kind == "layers":                          # UFLDL's n_l: the output layer's number in the reader's count
            return Tensor(None, lambda i, j: self.x.reader_L, r)
        if kind == "kronecker":
            if r.indices is None:
                raise ClaimSyntaxError("I needs two indices, as in I_{p,0}", r.end + 1, self.text)
            a, b_ = (self.letter(k) for k in r.indices)
            return Tensor(None, lambda i, j: sp.KroneckerDelta(a, b_), r)
        if kind == "running":
            return self.running_gradient(r)
        if kind in ("g", "gprime"):
            raise ClaimSyntaxError(f"{r.name} is a function: apply it, as in {r.name}'(Z^l)", r.end + 1, self.text)
        if kind in ("E", "E1"):
            raise ClaimSyntaxError("the error appears only in a partial ∂E/∂…", r.start + 1, self.text)
        if kind == "X":
            kind, r = "A", replace(r, layer=Layer(None, self.offset), kind="A")
        if kind == "W" and self.notation.bias_column and r.indices is None and r.columns != ":,1:":
            raise ClaimSyntaxError("θ^(l) includes the bias column 0; write θ^(l)_{:,1:} for the weights",
                                   r.start + 1, self.text)
        layer = None if kind == "Y" else self.our_layer(r)
        if r.indices is not None and self.notation.samples_as_rows:
            raise ClaimSyntaxError(f"{r.name}: in the {self.notation.name} notation write whole matrices "
                                   "(row-major code's arrays), not entries", r.start + 1, self.text)
        tensor = self.component(kind, layer, r) if r.indices is not None else self.matrix(kind, layer, r)
        if self.notation.samples_as_rows:                # the notation's matrix is the transpose of ours
            tensor = self.transpose(tensor)
        if (tensor.shape is not None and self.unit is not None and tensor.shape[0].same(self.unit[1])
                and tensor.shape[1].kind in ("1", "m")):    # a column (or the samples' columns), never a W
            unit, _, sample = self.unit                  # (h(z_p) − y) in a claim about δ_p: y is y_p
            column = self.current_sample() if self.notation.tex.per_sample else sample
            self.notes.append(f"{r.name} has no index: read as the entry of the left side's unit {unit}")
            return Tensor(None, lambda i, j: tensor.broadcast(unit, column), r)
        return Tensor(tensor.shape, tensor.at, r) if not r.transposed else self.transpose(Tensor(
            tensor.shape, tensor.at, r))

    def running_gradient(self, r: Ref) -> Tensor:
        """Goodfellow's g: the gradient of J with respect to what the left side's quantity feeds (the step before
        in the backward pass): ∇_{h^{(k)}} J for ∇_{a^{(k)}} J, ∇_{a^{(k)}} J for ∇_{W^{(k)}} J, ∇_{b^{(k)}} J and
        ∇_{h^{(k-1)}} J."""
        if self.consumer is None:
            raise ClaimSyntaxError(f"{r.name} is the running gradient: it is read on the right of a partial of a whole "
                                   "W, b, a or h", r.start + 1, self.text)
        return self.value(PartialOf(r.start, r.end, self.consumer))

    def dims(self, kind: str, layer) -> tuple[Dim, ...]:
        """The unit dimensions of a quantity, then its sample dimension (None for parameters)."""
        out = self.x.reader_L - self.offset
        if kind == "W":
            return Dim("n", layer), Dim("n", layer - 1)
        if kind == "b":
            return (Dim("n", layer),)
        return Dim("n", out if kind == "Y" else layer), Dim("m")

    def component(self, kind: str, layer, r: Ref) -> Tensor:
        dims = self.dims(kind, layer)
        assert r.indices is not None                     # ref() reads an indexed quantity here
        units = [self.use(k, d) for k, d in zip(r.indices, dims, strict=False)]
        base = {"W": W, "b": b, "Z": Z, "A": A, "Y": Y, "delta": delta}[kind]
        if kind in ("W", "b"):
            return Tensor(None, lambda i, j: base[(layer, *units)])
        sample = self.use(r.sample, Dim("m")) if r.sample is not None else self.current_sample()
        if r.sample is None and not self.samples:
            self.implicit = True                  # z^l_j: one example's, the sample implicit
        head = () if kind == "Y" else (layer,)
        return Tensor(None, lambda i, j: base[(*head, *units, sample)])

    def matrix(self, kind: str, layer, r: Ref) -> Tensor:
        base = {"W": W, "b": b, "Z": Z, "A": A, "Y": Y, "delta": delta}[kind]
        dims = self.dims(kind, layer)
        if kind == "W":
            return Tensor(cast(tuple[Dim, Dim], dims), lambda i, j: W[layer, i, j])
        if kind == "b":
            return Tensor((dims[0], Dim("1")), lambda i, j: b[layer, i])
        head = () if kind == "Y" else (layer,)
        if r.sample is not None or (self.notation.tex.per_sample and not self.columns):   # one sample's: a^L(x)
            sample = self.use(r.sample, Dim("m")) if r.sample is not None else self.current_sample()
            return Tensor((dims[0], Dim("1")), lambda i, j: base[(*head, i, sample)])
        return Tensor(cast(tuple[Dim, Dim], dims), lambda i, j: base[(*head, i, j)])

    # --- operations ---

    def value(self, node: Node) -> Tensor:
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    def _Num(self, node: Num) -> Tensor:
        return Tensor(None, lambda i, j: node.value, node)

    def _Ref(self, node: Ref) -> Tensor:
        return self.ref(node)

    def _Neg(self, node: Neg) -> Tensor:
        t = self.value(node.arg)
        return Tensor(t.shape, lambda i, j: -t.entry(i, j), node)

    def _Norm(self, node: Norm) -> Tensor:
        """‖v‖ = √(Σ entries²), over every row and column (Euclidean for a vector, Frobenius for a matrix)."""
        t = self.value(node.arg)
        if t.shape is None:
            return Tensor(None, lambda i, j: sp.sqrt(t.entry(None, None) ** 2), node)
        letters, ranges = [], []
        for dim in t.shape:
            if dim.kind == "1":
                letters.append(sp.Integer(1))
                continue
            letter = self.letter(next(self.fresh))
            letters.append(letter)
            ranges.append((letter, 1, dim.size()))
        squares = t.entry(*letters) ** 2
        return Tensor(None, lambda i, j: sp.sqrt(sp.Sum(squares, *ranges) if ranges else squares), node)

    def _Transpose(self, node: Transpose) -> Tensor:
        return self.transpose(self.value(node.arg), node)

    def transpose(self, t: Tensor, node: Node | None = None) -> Tensor:
        if t.shape is None:
            return t
        return Tensor((t.shape[1], t.shape[0]), lambda i, j: t.entry(j, i), node or t.node)

    def _Power(self, node: Power) -> Tensor:
        base, exponent = self.value(node.base), self.value(node.exponent)
        if not exponent.scalar:
            raise ShapeMismatch(f"the exponent of {self.source(node)} is a matrix")
        return Tensor(base.shape, lambda i, j: base.entry(i, j) ** exponent.entry(None, None), node)

    def _Apply(self, node: Apply) -> Tensor:
        arg = self.value(node.arg)
        if node.function.startswith("named"):              # an activation by its name: resolved on the network
            kind, name = node.function.split(":")
            f = named_prime if kind == "named_prime" else named
            return Tensor(arg.shape, lambda i, j: f(sp.Symbol(name), arg.entry(i, j)), node)
        if node.function in FUNCTIONS:
            f = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh}[node.function]
            return Tensor(arg.shape, lambda i, j: f(arg.entry(i, j)), node)
        layer = self.activation_layer(node)
        if node.function == "g" and isinstance(node.arg, Ref) and node.arg.kind == "Z":
            return self.ref(replace(node.arg, kind="A"))             # g^l(Z^l) is A^l (h^(1)(z^(1)) = x in theta)
        f = g if node.function == "g" else gprime
        return Tensor(arg.shape, lambda i, j: f(layer, arg.entry(i, j)), node)

    def activation_layer(self, node: Apply) -> sp.Expr:
        if node.layer is not None:
            return node.layer.expr(self.x.reader_l, self.x.reader_L) - self.offset
        if isinstance(node.arg, Ref) and node.arg.kind in ("Z", "A") and node.arg.layer is not None:
            return self.our_layer(replace(node.arg, kind="Z"))      # g'(a^(L)) is read, and found wrong
        raise ClaimSyntaxError("say which layer's activation this is: write its layer, as in g^l'(…), or apply it "
                               "to Z^l itself", node.start + 1, self.text)

    def _SumOver(self, node: SumOver) -> Tensor:
        if any(isinstance(n, SumOver) and n.var == node.var for n in walk(node.body)):
            raise ClaimSyntaxError(f"a sum over {node.var} inside another sum over {node.var}: use another letter",
                                   node.start + 1, self.text)
        var = self.letter(node.var)
        over_samples = self._over_samples(node)
        self.bound.add(node.var)
        if over_samples:
            self.samples.append(var)
        self.scopes.append({})
        body = self.value(node.body)
        scope = self.scopes.pop()
        if over_samples:
            self.samples.pop()
        high = self.value(node.high).entry(None, None) if node.high is not None else None
        if high is not None and var in high.free_symbols:
            raise ClaimSyntaxError(f"the sum over {node.var} runs to a limit that depends on {node.var} itself",
                                   node.start + 1, self.text)
        if high is None:
            dim = scope.get(node.var)                # its range where it is used in this sum, not elsewhere
            if dim is None:
                raise ClaimSyntaxError(f"the sum over {node.var} needs its upper limit: {node.var} indexes nothing in "
                                       "its body", node.start + 1, self.text)
            high = dim.size()
        return Tensor(body.shape, lambda i, j: sp.Sum(body.entry(i, j), (var, node.low, high)), node)

    def _over_samples(self, node: SumOver) -> bool:
        """A sum to m in a per-sample notation runs over the samples: its body's quantities are that sample's."""
        return bool(self.notation.tex.per_sample and isinstance(node.high, Ref) and node.high.kind == "m")

    def _PartialOf(self, node: PartialOf) -> Tensor:
        t = self.ref(node.of)
        if node.of.kind not in ("W", "b", "Z", "A", "X"):
            raise ClaimSyntaxError(f"∂{self.notation.error}/∂{node.of.name}: a partial is of a weight, a bias, "
                                   "or a node's Z or A", node.start + 1, self.text)
        # in a per-sample notation ∂J/∂z^l_p is one example's, as the books write it; ∂J/∂z^l_{p;i}, its sample
        # named, is the partial of the batch's J by that sample's z, as a document at m > 1 writes it (where J is
        # the mean; where it is the sum, Bishop's E = Σ_n E_n, that partial is the example's own again)
        one_example = node.scaled or (self.notation.tex.per_sample and node.of.kind in ("Z", "A")
                                      and (node.of.sample is None or self.notation.error_sums_examples))
        scale = signal_scale(self.notation) if one_example else sp.Integer(1)      # Ng's dZ, dA: m ∂J/∂Z
        return Tensor(t.shape, lambda i, j: scale * Partial(E, t.entry(i, j)), node)

    def _Op(self, node: Op) -> Tensor:
        left, right = self.value(node.left), self.value(node.right)
        if node.op in "+-":
            return self.entrywise(node, left, right, lambda a, b_: a + b_ if node.op == "+" else a - b_)
        if node.op == "/":
            if not right.scalar and not (left.shape and right.shape and self.fits(left.shape, right.shape)):
                raise ShapeMismatch(f"{self.source(node)}: division by a matrix ({right.shown(self.notation)})")
            return self.entrywise(node, left, right, lambda a, b_: a / b_)
        ones = any(d.kind == "*" for t in (left, right) if t.shape for d in t.shape)    # δ 1: always a product
        if node.op == "⊙" or (node.op == "⋅" and not ones and (left.scalar or right.scalar or (
                left.shape and right.shape and self.fits(left.shape, right.shape)))):
            return self.entrywise(node, left, right, lambda a, b_: a * b_)
        return self.product(node, left, right)

    def fits(self, s: tuple[Dim, Dim], t: tuple[Dim, Dim]) -> bool:
        """Entrywise-compatible: equal shapes, equal but for l against L, or a row or column broadcast (NumPy's)."""
        return all(a.same(b_) or a.maybe(b_) or "1" in (a.kind, b_.kind) for a, b_ in zip(s, t, strict=True))

    def entrywise(self, node: Op, left: Tensor, right: Tensor, f) -> Tensor:
        if left.scalar and right.scalar:
            return Tensor(None, lambda i, j: f(left.broadcast(1, 1), right.broadcast(1, 1)), node)
        if left.shape is None or right.shape is None:
            shape = left.shape or right.shape
        elif self.fits(left.shape, right.shape):
            shape = cast(tuple[Dim, Dim], tuple(b_ if a.kind in ("1", "*") else a
                                                for a, b_ in zip(left.shape, right.shape, strict=True)))
        else:
            raise ShapeMismatch(f"{self.source(node)}: {self.source(node.left)} is {left.shown(self.notation)} and "
                                f"{self.source(node.right)} is {right.shown(self.notation)}; entrywise they must agree",
                                (node.left, node.right))
        return Tensor(shape, lambda i, j: f(left.broadcast(i, j), right.broadcast(i, j)), node)

    def product(self, node: Op, left: Tensor, right: Tensor) -> Tensor:
        if left.shape is None or right.shape is None:
            return self.entrywise(node, left, right, lambda a, b_: a * b_)
        inner_left, inner_right = left.shape[1], right.shape[0]
        if not inner_left.same(inner_right):
            raise ShapeMismatch(f"{self.source(node)}: {self.source(node.left)} is {left.shown(self.notation)} and "
                                f"{self.source(node.right)} is {right.shown(self.notation)}; as a matrix product the "
                                f"columns of the first ({inner_left.show(self.notation)}) must be the rows of the "
                                f"second ({inner_right.show(self.notation)})", (node.left, node.right))
        inner = inner_right if inner_left.kind == "*" else inner_left       # a column of ones takes the other's
        if inner.kind == "1":
            return Tensor((left.shape[0], right.shape[1]), lambda i, j: left.entry(i, 1) * right.entry(1, j), node)
        k = self.letter(next(self.fresh))
        size = inner.size()
        return Tensor((left.shape[0], right.shape[1]),
                      lambda i, j: sp.Sum(left.entry(i, k) * right.entry(k, j), (k, 1, size)), node)


def _unit_letters(nodes) -> set[str]:
    """The letters a claim writes as unit indices (not after a semicolon, not summed)."""
    return {k for root in nodes for node in walk(root) if isinstance(node, Ref)
            for k in (node.indices or ()) if isinstance(k, str)}


def _letters(nodes) -> set[str]:
    """The index letters a claim writes itself: a product's summation letter must be another."""
    out: set[str] = set()
    for node in (child for root in nodes for child in walk(root)):
        if isinstance(node, Ref):
            out.update(k for k in (*(node.indices or ()), node.sample) if isinstance(k, str))
        elif isinstance(node, SumOver):
            out.add(node.var)
    return out


def interpret(sides: list[Node], notation: Notation, text: str, columns: bool = False) -> Claim:
    """``lhs = rhs`` (the two syntax trees of ``Parser.parse``) as a Claim in general form. ``columns``: in a
    per-sample notation, a whole matrix is every sample's (the samples as columns), not one sample's column."""
    left, right = sides
    reader = Reader(notation, text, columns)
    if reader.sample_letter in _unit_letters(sides):          # θ's δ_i: i is a unit here, the sample another letter
        written = _letters(sides)
        reader.sample_letter = next(k for k in "cnstuvxyz" if k not in written and k not in notation.letters)
    taken = _letters(sides) | {notation.letters[0], notation.letters[1], reader.sample_letter}
    reader.fresh = iter(k for k in "kqrtuvwxyzabdefgh" if k not in taken)
    if isinstance(left, Error):                   # E = 1/(2m) Σ ‖A^L − Y‖²: a claim about the error itself
        value = reader.value(right)
        if not value.scalar:
            raise ShapeMismatch(f"the left side is the error, a number, and the right side is "
                                f"{value.shown(reader.notation)}", (right,))
        claim = Claim(text, E, value.broadcast(1, 1), {}, list(dict.fromkeys(reader.notes)))
        _sum_repeated(claim, reader)
        return _summed_error(claim, left, notation)
    lhs = _lhs(left, reader)
    reader.consumer = _consumer(left, notation)
    if lhs.shape is None:
        lhs_expr, rhs, ranges = _component(left, right, lhs, reader)
    else:
        lhs_expr, rhs, ranges = _matrix(right, lhs, reader)
    _bound_apart(right, lhs_expr, reader)
    letters = {reader.letter(k): d for k, d in ({reader.sample_letter: Dim("m")} | reader.uses | ranges).items()}
    free = {s: d for s, d in letters.items() if s in lhs_expr.free_symbols}     # the left side's ranges win
    claim = Claim(text, lhs_expr, rhs, free, list(dict.fromkeys(reader.notes)))
    if reader.one_column:
        claim.sample, claim.columns = reader.letter(reader.sample_letter), reader.one_column
    _sum_repeated(claim, reader)
    return _summed_error(claim, left, notation)


def _summed_error(claim: Claim, left: Node, notation: Notation) -> Claim:
    """Where the notation's whole error is the sum of the examples' errors (Bishop's E = Σ_n E_n), a claim about
    E or ∂E/∂θ says m times what the network's mean E gives: it is compared as that, over m."""
    whole = isinstance(left, Error | PartialOf) and not left.example      # E = …, ∂E/∂w = …; not E_n, ∂E_n/∂w
    if notation.error_sums_examples and whole:
        claim.rhs = claim.rhs / m
        claim.notes.append(f"{notation.error} = Σ_n {notation.error}_n in the {notation.name} notation, the sum over "
                           f"the m examples (m times the network's mean): compared with m times it")
    return claim


def _component(left: Node, right: Node, lhs: Tensor, reader: Reader) -> tuple[sp.Expr, sp.Expr, dict]:
    """One entry each side; an unindexed vector on the right is read at the left side's unit (seed 001's y)."""
    target = left.of if isinstance(left, PartialOf) else left
    assert isinstance(target, Ref) and target.indices is not None     # _lhs took it; one entry: indexed
    entry = lhs.entry(None, None)
    if target.kind in ("delta", "Z", "A") and len(target.indices) == 1:
        partials = list(entry.atoms(Partial))
        node = partials[0].args[1] if partials else entry
        reader.unit = (node.indices[1], reader.dims(target.kind, node.indices[0])[0], node.indices[-1])
    value = reader.value(right)
    if not value.scalar:
        raise ShapeMismatch(f"the left side is one entry but the right side is {value.shown(reader.notation)}",
                            (right,))
    return entry, value.broadcast(1, 1), {}


def _matrix(right: Node, lhs: Tensor, reader: Reader) -> tuple[sp.Expr, sp.Expr, dict]:
    """Entry (row, col) of both sides, the letters the notation uses for a unit and the previous unit or sample."""
    unit, prev, _, sample = reader.notation.letters
    assert lhs.shape is not None                     # a matrix claim
    column = lhs.shape[1].kind != "1"
    rows = reader.letter(unit)
    cols = reader.letter(prev if lhs.shape[1].kind == "n" else sample) if column else sp.Integer(1)
    value = reader.value(right)
    if (value.shape is not None and not column and value.shape[1].kind == "m"
            and _agree((lhs.shape[0], value.shape[1]), value.shape)):
        # ∂E/∂b^l = δ^l: n×1 against n×m. At batch 1 they are the same thing; with more samples the right
        # side is one sample's (check says so, and that the bias gradient sums over the samples).
        reader.one_column = (f"the left side is {lhs.shown(reader.notation)} and the right side "
                             f"{value.shown(reader.notation)}: the same at batch m = 1 only")
        sample = reader.letter(reader.sample_letter)
        return lhs.entry(rows, cols), value.broadcast(rows, sample), {unit: lhs.shape[0]}
    if value.shape is not None and not _agree(lhs.shape, value.shape):
        flipped = "; the right side is its transpose" if _agree(lhs.shape, value.shape[::-1]) else ""
        raise ShapeMismatch(f"the left side is {lhs.shown(reader.notation)} and the right side "
                            f"{value.shown(reader.notation)}{flipped}", (right,))
    return lhs.entry(rows, cols), value.broadcast(rows, cols), {unit: lhs.shape[0], str(cols): lhs.shape[1]}


def _bound_apart(right: Node, lhs: sp.Expr, reader: Reader) -> None:
    """A sum may not run over a letter the left side is indexed by (its value is fixed there)."""
    free = {s.name for s in lhs.free_symbols}
    for node in walk(right):
        if isinstance(node, SumOver) and node.var in free:
            raise ClaimSyntaxError(f"the sum runs over {node.var}, an index of the left side: sum over another letter",
                                   node.start + 1, reader.text)


def _agree(s: tuple[Dim, Dim], t: tuple[Dim, Dim]) -> bool:
    """The two sides' shapes: the same (or the same but for l against L), with no broadcasting."""
    return all(a.same(b) or a.maybe(b) for a, b in zip(s, t, strict=True))


def _consumer(left: Node, notation: Notation) -> Ref | None:
    """The node a whole W^l, b^l, Z^l or A^l on the left feeds: Z^l, Z^l, A^l, Z^{l+1} (the reader's layers)."""
    if not (isinstance(left, PartialOf) and left.of.indices is None and left.of.layer is not None):
        return None
    of, layer = left.of, left.of.layer
    weights = notation.layer_offset - notation.weight_offset          # W^l (the reader's) feeds Z at l + this
    shift = {"W": weights, "b": weights, "Z": 0, "A": 1}.get(of.kind)
    if shift is None:
        return None
    kind = "A" if of.kind == "Z" else "Z"
    return Ref(of.start, of.end, kind, of.name, layer=Layer(layer.base, layer.offset + shift))


def _lhs(node: Node, reader: Reader) -> Tensor:
    """The left side: an error signal δ (ε) or a partial of the error."""
    if isinstance(node, Ref) and node.kind == "delta" or isinstance(node, PartialOf):
        return reader.value(node)
    raise ClaimSyntaxError(f"the left side must be an error signal ({reader.notation.tex.delta.split('^')[0]}) or a "
                           f"partial ∂{reader.notation.error}/∂…", node.start + 1, reader.text)


def _sum_repeated(claim: Claim, reader: Reader) -> None:
    """A letter on the right only, bound by no sum, is summed over its range (the repeated-index convention)."""
    lhs_letters = claim.lhs.free_symbols
    sample = reader.letter(reader.sample_letter)
    for letter, dim in reader.uses.items():
        s = reader.letter(letter)
        if s in lhs_letters or letter in reader.bound or s not in claim.rhs.free_symbols:
            continue
        claim.rhs = sp.Sum(claim.rhs, (s, 1, dim.size()))
        claim.notes.append(f"{letter} appears on the right only: summed over {letter} (the repeated-index convention)")
    if ((reader.notation.tex.per_sample or reader.implicit) and sample in claim.rhs.free_symbols
            and sample not in lhs_letters and claim.sample is None):
        claim.sample = sample
    loose = sorted(s.name for s in claim.rhs.free_symbols - lhs_letters - {claim.sample}     # index letters only
                   if isinstance(s, sp.Symbol) and s.is_integer and len(s.name) == 1 and s.name not in "lLm")
    if loose:
        raise ClaimSyntaxError(f"{loose[0]} has no range here: it indexes no quantity outside a sum over it, and is "
                               "not an index of the left side", 1, reader.text)
    claim.free = {s: d for s, d in claim.free.items() if s in lhs_letters}


def read(text: str, notation: Notation) -> Claim:
    """Parse and interpret one claim."""
    parser = Parser(text, notation)
    claim = interpret(parser.parse(), notation, parser.text)
    claim.text = text.strip()
    return claim
