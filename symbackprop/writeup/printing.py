"""Printing: expressions in the symbols of the reader's notation, as LaTeX or one line of Unicode.

The only place an expression becomes text. The model's symbols have stable ASCII names
(``W1_2_1``, ``Z1_2_1``, ``dE_dZ1_2_1``, ``g1``); general equations use ``Indexed`` quantities
with symbolic indices (``W[l, i, j]``). A ``Printer`` maps each to the notation's glyphs
(notations.Glyphs) through SymPy's own LaTeX printer, so the maths of every document is
SymPy's output, never a hand-written string of symbols.

    >>> from symbackprop.model.notations import notation
    >>> Printer(notation("theta")).latex(sp.Symbol("W1_2_1") * sp.Symbol("X_1_2"))
    '\\\\theta^{(1)}_{2,1} x_{1;2}'
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import cast

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from ..model.notations import Notation, notation
from ..symbolic.identity import canonical_derivatives

_NODE = re.compile(r"(?P<kind>Z|A|delta)(?P<l>\d+)_(?P<i>\d+)_(?P<c>\d+)\Z")
_WEIGHT = re.compile(r"W(?P<l>\d+)_(?P<i>\d+)_(?P<j>\d+)\Z")
_BIAS = re.compile(r"b(?P<l>\d+)_(?P<i>\d+)\Z")
_DATA = re.compile(r"(?P<kind>X|Y)_(?P<i>\d+)_(?P<c>\d+)\Z")
_ADJOINT = re.compile(r"dE_d(?P<node>\w+)\Z")
_EDGE = re.compile(r"d(?P<u>(?:[WbZA]\d+|X|Y)(?:_\d+)+)_d(?P<v>(?:[WbZA]\d+|X|Y)(?:_\d+)+)\Z")
_ACTIVATION = re.compile(r"g(?P<l>\d+)(?P<prime>_prime)?\Z")
LINE_WIDTH = 64      # characters of maths per displayed line: an A4 page holds about 75 at 10 pt
SHORT_FACTOR = 8     # a leading factor this narrow (1/m, λ/2) is never a line of its own
SHORT_TAIL = 10      # nor a term's last factor this narrow (· e^{-z}): it may run this far past the width
# Each of our quantities -> its notations.Glyphs field; the keys are also the {…} words of our reasons.
LAYER_LETTERS = {"l": "layer", "L": "output"}   # the general layer and the output layer, as the notation writes them
GLYPH = {"E": "error", "W": "weight", "b": "bias", "Z": "pre", "A": "post", "Y": "target", "delta": "delta", "g": "g"}
LAMBDA = ("lam", "lmbda", "lambda")       # weight-decay symbol names printed as λ


@dataclass(frozen=True)
class Quantity:
    """One entry of a model quantity: kind W, b, Z, A (layer 0 is the data X), Y or delta."""

    kind: str
    layer: sp.Expr | int | None
    units: tuple
    sample: sp.Expr | int | None = None


def quantity_of(name: str) -> Quantity | None:
    """The quantity a model symbol names: "Z1_2_3" is Z^1 unit 2 sample 3; None if not one."""
    if match := _NODE.match(name):
        return Quantity(match["kind"], int(match["l"]), (int(match["i"]),), int(match["c"]))
    if match := _WEIGHT.match(name):
        return Quantity("W", int(match["l"]), (int(match["i"]), int(match["j"])))
    if match := _BIAS.match(name):
        return Quantity("b", int(match["l"]), (int(match["i"]),))
    if match := _DATA.match(name):
        layer = 0 if match["kind"] == "X" else None
        return Quantity("A" if match["kind"] == "X" else "Y", layer, (int(match["i"]),), int(match["c"]))
    return None


class Printer:
    """A notation's printer: ``latex(expr)`` for documents, ``text(expr)`` for the terminal.

    ``samples``: the batch m of the network printed (per-sample notations write the sample
    index only when there is more than one; their δ is m ∂E/∂Z, so our δ prints as δ/m).
    ``uniform``: one activation in every layer (ufldl writes σ without a layer then).
    """

    def __init__(self, notation: Notation, *, samples: int | sp.Expr = 2, uniform: bool = True, own: bool = True):
        self.notation, self.samples, self.uniform = notation, samples, uniform
        self.glyphs = notation.tex
        if notation.error_sums_examples and samples != 1:     # Bishop's E is Σ_n E_n; the network's is their mean
            self.glyphs = dataclasses.replace(notation.tex, error=r"\bar{" + notation.tex.error + "}")
        self.own = own or not notation.tex.g_other        # the seed's glyph for g (σ) fits every layer

    @classmethod
    def for_network(cls, notation: Notation, net) -> Printer:
        """The printer for one network: its batch, whether every layer has the same activation, and
        whether that is the seed's own (ufldl's σ is the sigmoid; any other activation is f)."""
        seeds = notation.preset.get("activations")
        return cls(notation, samples=net.batch, uniform=len(set(net.layer_activations)) == 1,
                   own=set(net.layer_activations) <= {seeds})

    # --- the glyph of one quantity -------------------------------------------------------------

    def layer(self, kind: str, layer) -> sp.Expr:
        """The reader's layer number: nodes shift by the notation's layer offset, weights by its weight offset."""
        return sp.sympify(layer) + self.notation.shift(kind)

    def subscript(self, q: Quantity, tex, brackets: bool = False) -> str:
        units = [tex(u) for u in q.units]
        if self.notation.samples_as_rows:    # the entry of the transposed matrix: W^l_{ji}, row j (the input)
            units.reverse()
        sep = "," if brackets or self.glyphs.commas or any(len(u) > 1 for u in units) else ""
        text = sep.join(units)
        if q.sample is None:
            return text
        if self.notation.samples_as_rows:    # Z^1_{2;1}: sample 2 (a row), unit 1
            return tex(q.sample) + ("," if brackets else ";") + text
        if not self.glyphs.per_sample:      # W^1_{12} is unit 1, input 2; Z^1_{1;2} unit 1, sample 2
            return text + ("," if brackets else ";") + tex(q.sample)
        return text + ";" + tex(q.sample) if self.samples != 1 else text

    def glyph(self, q: Quantity, tex, brackets: bool = False) -> str:
        """The quantity's glyph; ``brackets``: its indices as [i,c] (as claims write them) instead of a subscript."""
        kind = "data" if q.kind == "A" and q.layer == 0 else GLYPH[q.kind]
        pattern = getattr(self.glyphs, kind)
        if brackets:
            pattern = pattern.replace("_{@s,0}", "[@s,0]").replace("_{@s}", "[@s]")
        layer = "" if q.layer is None else tex(self.layer(q.kind, q.layer))
        return pattern.replace("@l", layer).replace("@s", self.subscript(q, tex, brackets))

    def matrix_glyph(self, kind: str, layer, tex) -> str:
        """A whole layer: the glyph with its unit subscript dropped (θ's bias column is θ_{:,0})."""
        pattern = getattr(self.glyphs, "data" if kind == "A" and layer == 0 else GLYPH[kind])
        if kind == "W" and self.glyphs.weight_matrix:
            pattern = self.glyphs.weight_matrix
        pattern = pattern.replace("_{@s}", "").replace("@s", ":")
        return pattern.replace("@l", tex(self.layer(kind, layer)))

    def function(self, layer, prime: bool, tex) -> str:
        if self.own:
            pattern = self.glyphs.gprime if prime else self.glyphs.g
        else:
            pattern = self.glyphs.gprime_other if prime else self.glyphs.g_other
        reader = tex(self.layer("g", layer))
        return pattern.replace("@L", "" if self.uniform else "^{(" + reader + ")}").replace("@l", reader)

    def gradient(self, matrix: str) -> str:
        """The gradient of the error by a whole layer's matrix, as the notation writes it: ∂E/∂W^l, Ng's
        dW^{[l]}, Goodfellow's ∇_{W^{(l)}} J (the glyph ``gradient``, @q the matrix and @E the error)."""
        if self.glyphs.gradient:
            return self.glyphs.gradient.replace("@q", matrix).replace("@E", self.glyphs.error)
        return self.partial(matrix)

    def partial(self, matrix: str) -> str:
        """∂E/∂(matrix), the error's partial written out whatever the notation's gradient glyph."""
        return _Tex._partial(self.glyphs.error, matrix)

    @property
    def one_example(self) -> bool:
        """One example in a per-example notation (Nielsen's, UFLDL's at m = 1): no sample index and no column of
        ones, z = w a + b as the books write it."""
        return self.samples == 1 and self.glyphs.per_sample

    # --- whole expressions -----------------------------------------------------------------------

    def layout(self, expr: sp.Expr) -> sp.Expr:
        """A whole-matrix expression as the reader's matrices hold it: ours (samples as columns), or the
        transpose of both sides where samples are rows (W A + b 1ᵀ becomes A W + 1 b)."""
        if self.notation.samples_as_rows and isinstance(expr, sp.MatrixExpr):
            return as_rows(expr)
        return expr

    def prepare(self, expr: sp.Expr) -> sp.Expr:
        """g'(z) written one way; where the reader's δ is one sample's (theta's δ, Ng's dZ: m ∂E/∂Z) our δ is
        (reader's δ)/m; matrices in the reader's layout."""
        expr = self.layout(canonical_derivatives(sp.sympify(expr)))
        if (self.glyphs.per_sample or self.notation.per_example_signal) and self.samples != 1:
            deltas = [s for s in expr.free_symbols if (q := quantity_of(s.name)) and q.kind == "delta"]
            expr = expr.xreplace({s: sp.Symbol("reader_" + s.name, real=True) / self.samples for s in deltas})
        return expr

    def latex(self, expr) -> str:
        return _Tex(self).doprint(self.prepare(expr)).strip()    # a dropped column of ones leaves a space

    def words(self, text: str) -> str:
        """Our reasons in the notation's letters: {E}, {Z}, {A}, {W}, {b}, {delta}, {g} -> J, z, a, θ, … ."""
        glyph_of = {**GLYPH, **({} if self.own else {"g": "g_other"})}
        names = {key: tex_to_text(re.split(r"[\^_@(]", getattr(self.glyphs, glyph), maxsplit=1)[0])
                 for key, glyph in glyph_of.items()}
        names.update(pre_word=self.notation.pre_word, post_word=self.notation.post_word,
                     gprime=self._gprime_word(),
                     # a = σ(z); theta writes the activation as h(z) itself, so "h = h(z)" would name h twice
                     A_of_Z=f"{names['g']}({names['Z']})" if names["A"] == names["g"]
                     else f"{names['A']} = {names['g']}({names['Z']})")
        text = re.sub(r"\{(\w+)\}", lambda m: names.get(m[1], m[0]), text)
        return self.axis(text)

    def _gprime_word(self) -> str:
        """The activation's derivative in words as the notation writes it, without its layer: g′, σ′, h′, or Ψ
        (theta's own letter for h′)."""
        glyph = self.glyphs.gprime if self.own or not self.glyphs.gprime_other else self.glyphs.gprime_other
        bare = re.sub(r"\^\{[^{}]*\}|@\w|[{}]", "", glyph)
        return tex_to_text(bare).replace("'", "′")

    def axis(self, text: str) -> str:
        """Words about a sample's column (softmax couples the column; every column of Y sums to 1) as the
        reader holds samples: rows where the notation's samples are rows."""
        return re.sub(r"\bcolumn(s?)\b", r"row\1", text) if self.notation.samples_as_rows else text

    def latex_lines(self, expr, width: int = LINE_WIDTH) -> list[str]:
        """LaTeX of expr broken into lines of about ``width`` characters of maths: a sum between
        its terms, a product too long for a line between its factors (continued with ·)."""
        expr = self.prepare(expr)
        tex = _Tex(self)
        if visible_width(tex.doprint(expr)) <= width:
            return [tex.doprint(expr)]
        return _greedy(_terms(tex, expr, width), width)

    def text(self, expr) -> str:
        """One line of Unicode: W¹₂₁·A⁰₁₂, ∂E/∂Z¹₂₁, g¹′(Z¹₁₁)."""
        printed = _Text(self).doprint(self.prepare(expr))
        return printed.replace("**", "^").replace("*", "·")


class Shown:
    """An expression as Jupyter shows it: display maths in a notation's glyphs; as text, one line of Unicode."""

    def __init__(self, expr: sp.Expr, printer: Printer):
        self.expr, self.printer = expr, printer

    def _repr_latex_(self) -> str:
        return "$$" + self.printer.latex(self.expr) + "$$"

    def __str__(self) -> str:
        return self.printer.text(self.expr)

    __repr__ = __str__                               # what a plain-text viewer shows


def show(expr: sp.Expr, notation_name: str = "matrix", *, network=None) -> Shown:
    """``expr`` (any expression of a derivation) for display in a notebook, in the notation's symbols.

    >>> print(show(sp.Symbol("W1_2_1") * sp.Symbol("X_1_2"), "theta"))
    θ⁽¹⁾₂,₁·x₁;₂
    """
    names = notation(notation_name)
    return Shown(sp.sympify(expr), Printer.for_network(names, network) if network is not None else Printer(names))


def as_rows(expr: sp.MatrixExpr) -> sp.MatrixExpr:
    """``expr`` in a notation whose every matrix is the transpose of ours: each matrix S of ours is Sᵣᵀ (Sᵣ the
    reader's, same name, shape swapped), and the equation is transposed as a whole, with the transposes pushed
    down to the leaves, so that the reader's own matrices appear: (W A + b 1ᵀ)ᵀ = Aᵣ Wᵣ + 1 bᵣ, (Wᵀ δ ⊙ G)ᵀ =
    δᵣ Wᵣᵀ ⊙ Gᵣ, (δ Aᵀ)ᵀ = Aᵣᵀ δᵣ, (δ 1)ᵀ = 1ᵀ δᵣ.

    >>> W, A = sp.MatrixSymbol("W", 3, 2), sp.MatrixSymbol("A", 2, 4)
    >>> rows = as_rows(W * A)
    >>> rows, rows.shape
    (A*W, (4, 3))
    """
    if isinstance(expr, sp.MatrixSymbol):
        rows, cols = expr.shape
        return sp.MatrixSymbol(expr.name, cols, rows)
    if isinstance(expr, sp.OneMatrix):
        rows, cols = expr.shape
        return sp.OneMatrix(cols, rows)
    if isinstance(expr, sp.MatrixBase):              # explicit entries (the ones at a network's own size)
        return expr.T
    if isinstance(expr, sp.Transpose):
        return sp.Transpose(as_rows(expr.arg))
    if isinstance(expr, sp.MatMul):
        scalars = [a for a in expr.args if not isinstance(a, sp.MatrixExpr)]
        matrices = [as_rows(a) for a in reversed(expr.args) if isinstance(a, sp.MatrixExpr)]
        return sp.MatMul(*scalars, *matrices)
    if isinstance(expr, sp.MatAdd):
        return sp.MatAdd(*[as_rows(a) for a in expr.args])
    if isinstance(expr, sp.HadamardProduct):
        return sp.HadamardProduct(*[as_rows(a) for a in expr.args])
    raise TypeError(f"no samples-as-rows form for {type(expr).__name__}")       # never, while the forms are these


def indexed_quantity(expr: sp.Indexed) -> Quantity | None:
    """The quantity a general equation's Indexed names: W[l, i, j], Z[l, i, c], Y[i, c], …; None for others."""
    base, idx = expr.base.name, expr.indices
    if base in ("W", "b"):
        return Quantity(base, idx[0], tuple(idx[1:]))
    if base in ("Z", "A", "delta"):
        return Quantity(base, idx[0], tuple(idx[1:-1]), idx[-1])
    if base == "Y":
        return Quantity("Y", None, tuple(idx[:-1]), idx[-1])
    return None


def visible_width(tex: str) -> int:
    """Roughly how many characters wide a LaTeX formula is set: commands and braces take no room."""
    return len(re.sub(r"\\[A-Za-z]+|[{}^_ ]", lambda m: "x" if m[0][1:] not in _ZERO_WIDTH and
                      m[0].startswith("\\") else "", tex))


_ZERO_WIDTH = {"left", "right", "frac", "mathbf"}       # commands that set no glyph of their own


def _pieces(tex: _Tex, expr: sp.Expr, width: int) -> list[str]:
    """expr as pieces no wider than a line where possible: a sum between its terms, a product
    between its factors (a bracketed sum inside split in turn, its brackets balanced per line later)."""
    printed = tex.doprint(expr)
    if visible_width(printed) <= width or not (expr.is_Add or expr.is_Mul):
        return [printed]
    if expr.is_Add:
        return [piece for group in _terms(tex, expr, width) for piece in group]
    numbers = sp.Mul(*[f for f in expr.args if f.is_number])
    out = [tex.doprint(numbers)] if numbers != 1 else []
    for f in expr.as_ordered_factors():
        if f.is_number:
            continue
        parts = _pieces(tex, f, width) if f.is_Add else [tex.parenthesize(f, 50)]
        if f.is_Add:                      # bracket the sum: open on its first piece, close on its last
            parts[0] = r"\left(" + parts[0]
            parts[-1] += r"\right)"
        out += [(r"\cdot " if out else "") + parts[0]] + parts[1:]
    first = expr.as_ordered_factors()[0]
    scalar = all(quantity_of(s.name) is None for s in first.free_symbols)      # 1/m, λ/2: no quantity in it
    if len(out) > 1 and scalar and visible_width(out[0]) <= SHORT_FACTOR:   # stays with what it scales
        out = [out[0] + " " + out[1].removeprefix(r"\cdot ")] + out[2:]
    return out


def _terms(tex: _Tex, expr: sp.Expr, width: int) -> list[list[str]]:
    """The pieces of expr grouped by its terms where it is a sum (one group otherwise): a term is kept whole on
    a line where it fits, and one too long for what is left of a line starts a line of its own."""
    if not expr.is_Add:
        return [_pieces(tex, expr, width)]
    groups = []
    for n, term in enumerate(expr.as_ordered_terms()):
        sign = "+ " if n else ""
        if n and term.could_extract_minus_sign():
            sign, term = "- ", -term
        parts = _pieces(tex, term, width)
        groups.append([sign + parts[0]] + parts[1:])
    return groups


def _greedy(groups: list[list[str]], width: int) -> list[str]:
    """Each group (a term's pieces) joined onto the line where the whole of it fits, else begun on a new line and
    broken between its pieces; a bracket open at a line's end closes with \\right. and reopens with \\left. on the
    next line, as LaTeX needs each line's brackets to pair."""
    lines: list[str] = []
    for group in groups:
        whole = " ".join(group)
        if lines and visible_width(lines[-1] + " " + whole) <= width:
            lines[-1] += " " + whole
            continue
        lines.append(group[0])
        for k, piece in enumerate(group[1:], start=2):
            # a short last factor (· e^{-z}) stays on the line before it, a little past the width, not alone
            slack = SHORT_TAIL if k == len(group) and visible_width(piece) <= SHORT_TAIL else 0
            if visible_width(lines[-1] + piece) <= width + slack:
                lines[-1] += " " + piece
            else:
                lines.append(piece)
    out, depth = [], 0
    for line in lines:
        opened = depth + line.count(r"\left") - line.count(r"\right")
        out.append(r"\left." * depth + line + r"\right." * opened)
        depth = opened
    return out


def _named(printer: Printer, name: str, tex) -> str | None:
    """A model symbol's glyph, or None for a symbol the model does not name (m, λ, z)."""
    if name.startswith("reader_"):
        return printer.glyph(cast(Quantity, quantity_of(name[len("reader_"):])), tex)    # a δ, named by prepare()
    q = quantity_of(name)
    return None if q is None else printer.glyph(q, tex)


class _Tex(LatexPrinter):
    def __init__(self, printer: Printer):
        super().__init__({"mul_symbol": None, "long_frac_ratio": 2})
        self.p = printer
        self._printed: dict = {}

    def _print(self, expr, **kwargs) -> str:
        """Each subexpression printed once: latex_lines prints a long sum, then each of its terms again, and so
        down; every glyph goes through the notation's rules. The output depends on the expression alone."""
        try:
            key = (type(expr), expr, tuple(sorted(kwargs.items())))
            return self._printed[key]
        except KeyError:
            out = self._printed[key] = super()._print(expr, **kwargs)
            return out
        except TypeError:                       # an unhashable argument (a list): printed as it is
            return super()._print(expr, **kwargs)

    def tex(self, value) -> str:
        return self._print(sp.sympify(value))

    def _print_Symbol(self, expr, style="plain"):
        named = _named(self.p, expr.name, self.tex)
        if named is not None:
            return named
        if m := _ADJOINT.match(expr.name):
            return self._partial(self.p.glyphs.error, self._print_Symbol(sp.Symbol(m["node"])))
        if m := _EDGE.match(expr.name):
            return self._partial(self._print_Symbol(sp.Symbol(m["u"])), self._print_Symbol(sp.Symbol(m["v"])))
        if expr.name in LAMBDA:
            return r"\lambda"
        if expr.name == "E":
            return self.p.glyphs.error
        if expr.name in LAYER_LETTERS:
            return getattr(self.p.glyphs, LAYER_LETTERS[expr.name])
        if expr.name == "eta":                  # the learning rate, as the notation writes it
            return self.p.glyphs.rate
        return super()._print_Symbol(expr, style)

    @staticmethod
    def _partial(f: str, x: str) -> str:
        return r"\frac{\partial " + f + r"}{\partial " + x + "}"

    def _print_Partial(self, expr):
        f, x = expr.args
        return self._partial(self.tex(f), self.tex(x))

    def _print_Indexed(self, expr):
        q = indexed_quantity(expr)
        if q is not None:
            return self.p.glyph(q, self.tex)
        if expr.base.name == "n":
            return self.p.glyphs.size.replace("@l", self.tex(self.p.layer("Z", expr.indices[0])))
        return super()._print_Indexed(expr)

    def _print_Pow(self, expr):
        """(W^l_{ij})^2: a glyph with scripts is bracketed before it is raised to a power."""
        if isinstance(expr.base, (sp.Indexed, sp.Symbol)) and expr.exp.is_positive:
            base = self._print(expr.base)
            if "^" in base or "_" in base:
                return r"\left(" + base + r"\right)^{" + self._print(expr.exp) + "}"
        return super()._print_Pow(expr)

    def _print_MatrixSymbol(self, expr):
        """A whole layer of the general matrix form, named kind|l|shift (general.layer_matrix)."""
        if expr.name.count("|") != 2:
            return super()._print_MatrixSymbol(expr)
        kind, base, shift = expr.name.split("|")
        layer = (sp.Integer(base) if base.isdigit() else sp.Symbol(base, integer=True, positive=True)) + int(shift)
        if kind in ("dW", "db", "dA"):
            return self.p.gradient(self.p.matrix_glyph(kind[1], layer, self.tex))
        if kind == "gprime":
            Z = self.p.matrix_glyph("Z", layer, self.tex)
            return self.p.function(layer, True, self.tex) + r"\left(" + Z + r"\right)"
        return self.p.matrix_glyph(kind, layer, self.tex)

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, 60) for a in expr.args)

    def _print_Heaviside(self, expr, exp=None):
        """The step as an indicator, 1_{z > 0} (H(0) = 0, relu′ at its kink) or 1_{z ≥ 0} (H(0) = 1): SymPy's θ(z, 0)
        would read as a weight in theta and as an angle elsewhere."""
        z = self._print(expr.args[0])
        at_zero = expr.args[1] if len(expr.args) > 1 else None
        text = (rf"\mathbf{{1}}_{{{z} > 0}}" if at_zero == 0 else rf"\mathbf{{1}}_{{{z} \geq 0}}" if at_zero == 1
                else rf"H\left({z}\right)")
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _print_KroneckerDelta(self, expr, exp=None):
        """I_{ik}, as seed 001 writes it: δ is the error signal here."""
        i, k = expr.args
        return "I_{" + self._print(i) + self._print(k) + "}"

    def _print_OneMatrix(self, expr):
        """A column of ones 1, or the row 1ᵀ; nothing for one example in a per-example notation (Nielsen's
        z = w a + b, not w a + b 1ᵀ: with one sample the ones are the number 1)."""
        if self.p.one_example:
            return ""
        rows, cols = expr.shape
        return r"\mathbf{1}^{T}" if rows == 1 and cols != 1 else r"\mathbf{1}"

    def _print_Transpose(self, expr):
        """Xᵀ; a glyph with scripts is bracketed first, (A^{l-1})ᵀ, so that the T is not read as a layer."""
        inner = self._print(expr.arg)
        if isinstance(expr.arg, sp.MatrixSymbol) and not re.search(r"[_^]", inner):
            return inner + "^{T}"
        return r"\left(" + inner + r"\right)^{T}"

    def _print_Function(self, expr, exp=None):
        name = expr.func.__name__
        if m := _ACTIVATION.match(name):
            return self._applied(self.p.function(int(m["l"]), bool(m["prime"]), self.tex), expr.args[0], exp)
        if name in ("g", "gprime") and len(expr.args) == 2:
            return self._applied(self.p.function(expr.args[0], name == "gprime", self.tex), expr.args[1], exp)
        return super()._print_Function(expr, exp)

    def _applied(self, head: str, arg, exp) -> str:
        text = head + r"\left(" + self.tex(arg) + r"\right)"
        return text if exp is None else r"\left(" + text + r"\right)^{" + exp + "}"


_SUPER = dict(zip("0123456789+-=()lLinkj", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ˡᴸⁱⁿᵏʲ", strict=True))
_SUB = dict(zip("0123456789+-=()aeoxhklmnpstijruv;,", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ;,", strict=True))
_GREEK = {r"\theta": "θ", r"\delta": "δ", r"\varepsilon": "ε", r"\epsilon": "ϵ", r"\Psi": "Ψ", r"\sigma": "σ",
          r"\lambda": "λ"}
_GROUP = re.compile(r"([\^_])\{([^{}]*)\}")


def tex_to_text(glyph: str) -> str:
    """A glyph's LaTeX as Unicode: θ^{(1)}_{2,1} -> θ⁽¹⁾₂,₁; scripts without a Unicode form stay ^(…)."""
    for macro, char in _GREEK.items():
        glyph = glyph.replace(macro, char)

    def script(m: re.Match) -> str:
        table = _SUPER if m[1] == "^" else _SUB
        body = m[2].replace(" ", "")
        return "".join(table[c] for c in body) if all(c in table for c in body) else f"{m[1]}({body})"

    glyph = glyph.replace(r"\left", "").replace(r"\right", "")
    glyph = re.sub(r"\\bar\{(\w)\}", "\\1\u0304", glyph)          # Ē
    while _GROUP.search(glyph):
        glyph = _GROUP.sub(script, glyph)
    return glyph.replace("{", "").replace("}", "").replace("'", "′")


class _Text(StrPrinter):
    def __init__(self, printer: Printer):
        super().__init__()
        self.p = printer

    def tex(self, value) -> str:
        return str(value).replace(" ", "")

    def _print_Symbol(self, expr):
        named = _named(self.p, expr.name, self.tex)
        if named is not None:
            return tex_to_text(named)
        if m := _ADJOINT.match(expr.name):
            return f"∂{tex_to_text(self.p.glyphs.error)}/∂" + self._print_Symbol(sp.Symbol(m["node"]))
        if m := _EDGE.match(expr.name):
            return "∂" + self._print_Symbol(sp.Symbol(m["u"])) + "/∂" + self._print_Symbol(sp.Symbol(m["v"]))
        if expr.name in LAMBDA:
            return "λ"
        if expr.name == "E":
            return tex_to_text(self.p.glyphs.error)
        if expr.name in LAYER_LETTERS:
            return tex_to_text(getattr(self.p.glyphs, LAYER_LETTERS[expr.name]))
        if expr.name == "eta":
            return tex_to_text(self.p.glyphs.rate)
        return super()._print_Symbol(expr)

    def _print_Partial(self, expr):
        f, x = expr.args
        return f"∂{self._print(f)}/∂{self._print(x)}"

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Indexed):        # Indexed prints itself (_sympystr) before any _print_ method
            return self._print_Indexed(expr)
        return super()._print(expr, **kwargs)

    def _print_Indexed(self, expr):
        """A general equation's quantity (W[l, i, j]) as its glyph with its indices in brackets: Wˡ[i,j], δˡ[i,c]."""
        q = indexed_quantity(expr)
        if q is not None:
            return tex_to_text(self.p.glyph(q, _Tex(self.p).doprint, brackets=True))
        if expr.base.name == "n":
            return tex_to_text(_Tex(self.p).doprint(expr))
        return super()._print_Indexed(expr)

    def _print_Sum(self, expr):
        body = self._print(expr.function)
        for v, low, high in expr.limits:
            body = f"Σ[{self._print(v)}={self._print(low)}..{self._print(high)}]({body})"
        return body

    def _print_KroneckerDelta(self, expr):
        return "I(" + ",".join(self._print(a) for a in expr.args) + ")"

    def _print_Function(self, expr):
        name = expr.func.__name__
        if m := _ACTIVATION.match(name):
            head = self.p.function(int(m["l"]), bool(m["prime"]), self.tex)
            return tex_to_text(head) + "(" + self._print(expr.args[0]) + ")"
        if name in ("g", "gprime") and len(expr.args) == 2:
            head = self.p.function(expr.args[0], name == "gprime", lambda v: _Tex(self.p).doprint(v))
            return tex_to_text(head) + "(" + self._print(expr.args[1]) + ")"
        return super()._print_Function(expr)
