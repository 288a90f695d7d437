"""Reading a hand derivation: a claim in plain text or LaTeX, parsed into the general equations' SymPy form.

User text is never evaluated. A whitelisting tokenizer turns it into tokens (names, numbers, a fixed
set of LaTeX commands and operators; anything else is a ``ClaimSyntaxError`` naming the column), a
recursive-descent parser builds a small syntax tree, and ``interpret`` turns the tree into the SymPy
form of ``general.py`` in the reader's notation: ``Indexed`` quantities ``W[l, i, j]``, ``Z[l, i, c]``,
``delta[l, i, c]``, the activation ``g(l, z)`` and ``gprime(l, z)``, ``Partial(E, W[l, i, j])``.

A matrix claim becomes its component form: ``delta2 = (W3.T @ delta3) * g2'(Z2)`` is read as
δ²_ic = Σ_k W³_ki δ³_kc · g²′(Z²_ic). ``*``, ``·`` and juxtaposition multiply entrywise when the two
shapes agree and as matrices when they conform, so ``(A2 - Y) * g2'(Z2)`` is a Hadamard product and
``delta2 * A1.T`` a matrix product, as people write them; ``@`` is always the matrix product and
``⊙``, ``.*``, ``\\odot``, ``\\circ`` always entrywise. A product that fits neither way is not a syntax
error but a mistake of the claim (``ShapeMismatch``), reported with its shapes.

Examples (matrix notation; ``theta`` and ``ufldl`` use their own letters, see ``NAMES``):

    dE/dW1[2,1] = sum_c delta1[2,c] * X[1,c]
    dE/dW2 = delta2 * A1.T
    delta2 = (A2 - Y) * g2'(Z2) / m
    delta1 = (W2.T @ delta2) * g1'(Z1)
    \\delta^{l} = (W^{l+1})^T \\delta^{l+1} \\odot {g^{l}}'(Z^{l})
    \\frac{\\partial E}{\\partial W^l_{ij}} = \\sum_{c=1}^m \\delta^l_{ic} A^{l-1}_{jc}
    \\varepsilon^{(l)}_i = \\varepsilon^{(l+1)}_q W^{(l)}_{qi} \\sigma'(z^{(l)}_i)      (ufldl; q is summed)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace

import sympy as sp

from .errors import SpecError
from .general import A, E, Partial, W, Y, Z, b, delta, g, gprime, lam, m, n
from .notations import Notation
from .printing import Printer, tex_to_text

MAX_LENGTH = 2000        # characters of one claim
MAX_DEPTH = 40           # nested brackets, sums, fractions and signs
MAX_TOKENS = 300         # names, numbers and operators of one claim (the longest printed equation has ~110)
MAX_EXPONENT = 10        # exponents are small whole numbers


class ClaimSyntaxError(SpecError):
    """The claim cannot be read: the column where reading stopped and what was expected there."""

    def __init__(self, message: str, column: int, text: str = "", where: str = ""):
        self.column, self.text, self.reason, self.where = column, text, message, where
        snippet = text[max(0, column - 1):column + 11].strip()
        near = f' near "{snippet}"' if snippet else ""
        where = f"{where}, column {column}" if where else f"column {column}"
        super().__init__(f"{where}: {message}{near}")


class ShapeMismatch(Exception):
    """A matrix claim whose shapes do not fit: a mistake in the claim, not in its syntax."""

    def __init__(self, message: str, operands: tuple = ()):
        super().__init__(message)
        self.operands = operands          # the syntax nodes that did not fit (for a transposition repair)


# --- tokens --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str     # num, name, cmd, op, end
    text: str
    pos: int      # 0-based offset in the claim
    glued: bool = False    # no space before it (W2: the layer is glued to the name)


UNICODE = {"−": "-", "·": "*", "×": "*", "⊙": "⊙", "∘": "⊙", "′": "'", "≡": "=", "ᵀ": "^T",
           "δ": "delta", "ε": "epsilon", "θ": "theta", "σ": "sigma", "Ψ": "Psi", "λ": "lambda", "Σ": "sum",
           "∑": "sum", "∂": "partial"}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ˡᴸ", "0123456789+-()lL", strict=True))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₚₗₘₙ", "0123456789ijkplmn", strict=True))
GREEK = {"delta": "delta", "varepsilon": "epsilon", "epsilon": "epsilon", "theta": "theta", "sigma": "sigma",
         "Psi": "Psi", "lambda": "lambda", "partial": "partial"}
COMMANDS = {"frac", "dfrac", "tfrac", "sum", "left", "right", "odot", "circ", "cdot", "times", "top", "intercal",
            "prime", "mathrm", "mathit", "operatorname", "boxed", "mathbf", "boldsymbol", "mathbb", "exp", "log",
            "ln", "tanh", "limits", "displaystyle", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "equiv",
            "coloneqq", "quad", "qquad", "label", "tag", "nonumber", "notag"}
SKIPPED = {"left", "right", "displaystyle", "limits", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "[", "]"}
SPACES = {",", ";", "!", ":", " "}
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z]+)|(?P<cmd>\\(?:[A-Za-z]+|.))"
                    r"|(?P<op>\.\*|\.T\b|:=|[-+*/@^_'()\[\]{},=&;:.⊙|$]))")


def normalise(text: str) -> str:
    """Unicode maths as the ASCII the tokenizer reads: δ²₁₂ -> delta^{2}_{12}, ∂ -> \\partial, − -> -."""
    out, k = [], 0
    while k < len(text):
        ch = text[k]
        for table, mark in ((SUPERSCRIPTS, "^"), (SUBSCRIPTS, "_")):
            if ch in table:
                run = ""
                while k < len(text) and text[k] in table:
                    run, k = run + table[text[k]], k + 1
                out.append(mark + "{" + run + "}")
                break
        else:
            word = UNICODE.get(ch, ch)
            plain_d = re.search(r"(?<![A-Za-z])d\Z", "".join(out[-2:])) is not None          # dθ(1)[2,1]: d + theta
            spaced = " " + word if word.isalpha() and len(word) > 1 and not plain_d else word
            out.append(" \\partial " if word == "partial" else spaced)
            k += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Whitelisted tokens; anything else is a syntax error at its column."""
    if len(text) > MAX_LENGTH:
        raise ClaimSyntaxError(f"a claim is at most {MAX_LENGTH} characters; this one has {len(text)}", 1)
    source, tokens, pos = text, [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ClaimSyntaxError(f"unexpected character {text[start]!r}; a claim uses names, numbers, "
                                   "+ - * / @ ^ _ ' ( ) [ ] { } , = and LaTeX maths", start + 1, source)
        kind = match.lastgroup
        word, start = match.group(kind), match.start(kind)
        glued = start == pos and pos > 0 and not text[pos - 1].isspace()
        pos = match.end()
        if kind == "cmd":
            name = word[1:]
            if name in SPACES or name in SKIPPED:
                continue
            if name == "\\":
                tokens.append(Token("op", "\\\\", start))
                continue
            if name in GREEK:
                tokens.append(Token("name" if name != "partial" else "cmd", GREEK[name], start, glued))
                continue
            if name not in COMMANDS:
                raise ClaimSyntaxError(f"unknown LaTeX command {word}; allowed: \\frac, \\sum, \\partial, \\delta, "
                                       "\\varepsilon, \\theta, \\sigma, \\Psi, \\lambda, \\odot, \\circ, \\cdot, "
                                       "\\left, \\right, \\top, \\exp, \\log, \\mathbf{1}", start + 1, source)
            if name in ("quad", "qquad"):          # what follows is an equation number or a remark
                break
            if name in ("label", "tag"):
                pos = _skip_group(text, pos, source)
                continue
            if name in ("nonumber", "notag"):
                continue
            tokens.append(Token("cmd", name, start, glued))
        elif kind == "op" and word in ("&", "$"):
            continue
        else:
            tokens.append(Token(kind, word, start, glued))
    if len(tokens) > MAX_TOKENS:
        raise ClaimSyntaxError(f"a claim has at most {MAX_TOKENS} names, numbers and operators; this one has "
                               f"{len(tokens)}", tokens[MAX_TOKENS].pos + 1, source)
    tokens.append(Token("end", "", len(text)))
    return tokens


def _skip_group(text: str, pos: int, source: str) -> int:
    """Past a {…} group (the argument of \\label or \\tag)."""
    match = re.compile(r"\*?\s*\{[^{}]*\}").match(text, pos)
    if not match:
        raise ClaimSyntaxError("expected {…} after \\label or \\tag", pos + 1, source)
    return match.end()


# --- the syntax tree ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    """A layer as written: a number, or l or L plus an offset (the reader's numbering)."""

    base: str | None
    offset: int = 0

    def expr(self, reader_l: sp.Symbol, reader_L: sp.Symbol) -> sp.Expr:
        base = {None: sp.Integer(0), "l": reader_l, "L": reader_L}[self.base]
        return base + self.offset


@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Num(Node):
    value: sp.Rational


@dataclass(frozen=True)
class Ref(Node):
    """A quantity: kind W, b, Z, A, X, Y, delta, E, size, m, lambda, g, gprime, ones, kronecker."""

    kind: str
    name: str
    layer: Layer | None = None
    indices: tuple | None = None      # letters (str) and numbers (int); None for a whole matrix
    sample: str | int | None = None   # after a semicolon, in the per-sample notations
    columns: str = ""                 # θ_{:,1:}: the weight columns of θ
    transposed: bool = False          # θ^{(l)T}


@dataclass(frozen=True)
class Op(Node):
    op: str            # + - * / @ ⊙ (entrywise) ⋅ (entrywise or matrix, by shape)
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Power(Node):
    base: Node
    exponent: Node


@dataclass(frozen=True)
class Transpose(Node):
    arg: Node


@dataclass(frozen=True)
class Apply(Node):
    function: str        # g, gprime, exp, log, tanh
    layer: Layer | None
    arg: Node


@dataclass(frozen=True)
class SumOver(Node):
    var: str
    low: int
    high: Node | None
    body: Node


@dataclass(frozen=True)
class PartialOf(Node):
    of: Ref


# Each notation's names for our quantities (rules as data). Every notation also reads m, λ, sums,
# exp and log; Ψ is theta's h′. In theta, θ^(l)_{p,0} is the bias and θ^(l)_{p,q}, q ≥ 1, a weight.
NAMES: dict[str, dict[str, str]] = {
    "matrix": {"W": "W", "b": "b", "Z": "Z", "A": "A", "X": "X", "Y": "Y", "delta": "delta", "E": "E",
               "g": "g", "sigma": "g", "n": "size"},
    "theta": {"theta": "W", "Theta": "W", "z": "Z", "a": "A", "x": "X", "y": "Y", "delta": "delta", "J": "E",
              "E": "E", "h": "g", "g": "g", "sigma": "g", "Psi": "gprime", "s": "size", "n": "size", "I": "kronecker"},
    "ufldl": {"W": "W", "b": "b", "z": "Z", "a": "A", "x": "X", "y": "Y", "epsilon": "delta", "eps": "delta",
              "J": "E", "E": "E", "sigma": "g", "f": "g", "g": "g", "s": "size", "n": "size"},
}
COMMON = {"m": "m", "lambda": "lambda", "lam": "lambda", "exp": "exp", "log": "log", "ln": "log", "tanh": "tanh",
          "ones": "ones", "sum": "sum"}
FUNCTIONS = {"exp", "log", "tanh"}
INDEXED = {"W": 2, "b": 1, "Z": 1, "A": 1, "X": 1, "Y": 1, "delta": 1}    # unit indices (a sample follows)


def names_of(notation: Notation) -> dict[str, str]:
    return {**COMMON, **NAMES[notation.name]}


class Parser:
    """Recursive descent over the tokens of one claim: ``parse`` gives the list of sides of ``a = b (= c …)``."""

    def __init__(self, text: str, notation: Notation):
        self.text, self.notation, self.names = normalise(text), notation, names_of(notation)
        self.tokens, self.k, self.depth = tokenize(self.text), 0, 0

    # --- helpers ---

    @property
    def tok(self) -> Token:
        return self.tokens[self.k]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.k + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        t = self.tok
        self.k = min(self.k + 1, len(self.tokens) - 1)
        return t

    def at(self, kind: str, *texts: str) -> bool:
        return self.tok.kind == kind and (not texts or self.tok.text in texts)

    def expect(self, kind: str, text: str, what: str) -> Token:
        if not self.at(kind, text):
            self.fail(f"expected {what}")
        return self.take()

    def fail(self, message: str):
        found = self.tok.text or "the end of the claim"
        raise ClaimSyntaxError(f"{message}, found {found!r}" if self.tok.kind != "end" else f"{message}, found "
                               "the end of the claim", self.tok.pos + 1, self.text)

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nested too deeply (at most {MAX_DEPTH} brackets, sums and fractions)")

    def close(self, opener: str) -> None:
        closer = {"(": ")", "[": "]", "{": "}"}[opener]
        self.expect("op", closer, f"{closer!r} to close {opener!r}")
        self.depth -= 1

    # --- the grammar ---

    def parse(self) -> list[Node]:
        """claim := expr '=' expr, or \\boxed{expr = expr}"""
        if self.at("cmd", "boxed") and self.peek().text == "{" and self.tokens[-2].text == "}":
            self.tokens = self.tokens[2:-2] + self.tokens[-1:]          # the box around the whole equation
        sides = [self.expr()]
        while self.at("op", "=", ":=") or self.at("cmd", "equiv", "coloneqq"):
            self.take()
            sides.append(self.expr())
        if self.at("op", ",", ".") and self.peek().kind == "end":       # a sentence's comma or full stop
            self.take()
        if not self.at("end"):
            self.fail("expected an operator or '='")
        if len(sides) < 2:
            raise ClaimSyntaxError("a claim is an equation: expected '='", len(self.text) + 1)
        if len(sides) > 2:
            raise ClaimSyntaxError("one '=' per claim: write a chain a = b = c as two claims, a = b and a = c "
                                   "(in a file, a line starting with '=' continues the left side above)",
                                   sides[2].start + 1, self.text)
        return sides

    def expr(self) -> Node:
        """expr := ['-'] term (('+' | '-') term)*"""
        start = self.tok.pos
        node = self.term()                  # a leading sign belongs to the first factor
        while self.at("op", "+", "-"):
            op = self.take().text
            right = self.term()
            node = Op(start, right.end, op, node, right)
        return node

    MULTIPLY = {("op", "*"): "⋅", ("cmd", "cdot"): "⋅", ("cmd", "times"): "⋅", ("op", "@"): "@", ("op", "/"): "/",
                ("op", ".*"): "⊙", ("op", "⊙"): "⊙", ("cmd", "odot"): "⊙", ("cmd", "circ"): "⊙"}

    def term(self) -> Node:
        """term := factor ((* / @ ⊙ · or juxtaposition) factor)*"""
        node = self.factor()
        while True:
            op = self.MULTIPLY.get((self.tok.kind, self.tok.text))
            if op:
                self.take()
            elif self.starts_factor():
                op = "⋅"
            else:
                return node
            right = self.factor()
            node = Op(node.start, right.end, op, node, right)

    def starts_factor(self) -> bool:
        t = self.tok
        return (t.kind in ("num", "name") or (t.kind == "op" and t.text in ("(", "{", "["))
                or (t.kind == "cmd" and t.text in ("frac", "dfrac", "tfrac", "sum", "partial", "mathbf", "boldsymbol",
                                                   "mathbb", "exp", "log", "ln", "tanh", "boxed", "mathrm",
                                                   "operatorname")))

    def factor(self) -> Node:
        """factor := '-' factor | power"""
        if self.at("op", "-"):
            start = self.take().pos
            self.nested()
            arg = self.factor()
            self.depth -= 1
            return Neg(start, arg.end, arg)
        if self.at("op", "+"):
            self.take()
        return self.power()

    def power(self) -> Node:
        """power := postfix ('^' (T | a small whole number))*; a power of a power must be written once."""
        node = self.postfix(self.primary())
        while self.at("op", "^"):
            self.take()
            if self.transpose_mark():
                node = Transpose(node.start, self.tokens[self.k - 1].pos + 1, node)
                continue
            if isinstance(node, Power):
                self.fail("a power of a power: write the exponent once")
            start = self.tok.pos
            exponent = self.script_group(self.factor)
            value = exponent.value if isinstance(exponent, Num) else (
                -exponent.arg.value if isinstance(exponent, Neg) and isinstance(exponent.arg, Num) else None)
            if value is None or not value.is_integer or abs(value) > MAX_EXPONENT:
                raise ClaimSyntaxError(f"an exponent is a whole number from -{MAX_EXPONENT} to {MAX_EXPONENT}, or T",
                                       start + 1, self.text)
            node = Power(node.start, exponent.end, node, Num(exponent.start, exponent.end, value))
        return node

    def transpose_mark(self) -> bool:
        """T, \\top, \\intercal, {T}, {\\top} after '^' (the caret already taken)."""
        if self.at("name", "T") or self.at("cmd", "top", "intercal"):
            self.take()
            return True
        if self.at("op", "{") and (self.peek().text in ("T", "top", "intercal")) and self.peek(2).text == "}":
            self.k += 3
            return True
        return False

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at("op", ".T"):
                end = self.take().pos + 2
                node = Transpose(node.start, end, node)
            elif self.at("op", "'") and isinstance(node, Ref) and node.kind == "g":
                self.take()
                node = replace(node, kind="gprime")
            elif isinstance(node, Ref) and node.kind in ("g", "gprime") and self.at("op", "("):
                arg = self.group("(")
                node = Apply(node.start, arg.end, node.kind, node.layer, arg)
            else:
                return node

    def group(self, opener: str) -> Node:
        start = self.expect("op", opener, repr(opener)).pos
        self.nested()
        inner = self.expr()
        end = self.tok.pos + 1
        self.close(opener)
        return replace(inner, start=start, end=end)

    def script_group(self, inner) -> Node:
        """A script's argument: {…} or one token."""
        if self.at("op", "{"):
            return self.group("{")
        return inner()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.take()
            return Num(t.pos, t.pos + len(t.text), sp.Rational(t.text))
        if t.kind == "op" and t.text in ("(", "{", "["):
            return self.group(t.text)
        if t.kind == "cmd":
            return self.command()
        if t.kind == "name":
            return self.named()
        self.fail("expected a quantity, a number or '('")

    def command(self) -> Node:
        t = self.take()
        if t.text in ("frac", "dfrac", "tfrac"):
            self.nested()
            if self.at("op", "{") and self.peek().text == "partial":
                return self.latex_partial(t.pos)
            top, bottom = self.script_group(self.primary), self.script_group(self.primary)
            self.depth -= 1
            return Op(t.pos, bottom.end, "/", top, bottom)
        if t.text == "sum":
            return self.sum(t.pos)
        if t.text == "partial":
            return self.plain_partial(t.pos, latex=True)
        if t.text in ("mathbf", "boldsymbol", "mathbb"):
            inner = self.script_group(self.primary)
            if isinstance(inner, Num) and inner.value == 1:
                return Ref(t.pos, self.tokens[self.k - 1].pos + 1, "ones", "1")
            return inner
        if t.text in ("mathrm", "operatorname", "boxed"):
            return self.script_group(self.primary) if t.text != "boxed" else self.group("{")
        if t.text in ("exp", "log", "ln", "tanh"):
            arg = self.postfix(self.primary())
            return Apply(t.pos, arg.end, "log" if t.text == "ln" else t.text, None, arg)
        self.k -= 1
        self.fail("expected a quantity, a number or '('")

    def latex_partial(self, start: int) -> Node:
        r"""\frac{\partial E}{\partial W^l_{ij}} (the \frac and its nesting already taken)."""
        self.expect("op", "{", "'{'")
        self.expect("cmd", "partial", r"\partial")
        self.error_name()
        self.expect("op", "}", "'}' after the error")
        self.expect("op", "{", "'{'")
        self.expect("cmd", "partial", r"\partial")
        of = self.quantity(self.take())
        end = self.tok.pos + 1
        self.expect("op", "}", "'}' after the quantity")
        self.depth -= 1
        return PartialOf(start, end, of)

    def error_name(self) -> None:
        """E or J, optionally with its arguments J(W,x,y), which are ignored."""
        if not (self.at("name") and self.names.get(self.tok.text) == "E"):
            self.fail(f"expected the error ({self.notation.error}) after ∂: only partials of the error are claims")
        self.take()
        if self.at("op", "(") and self.tok.glued:
            self.take()
            while not self.at("op", ")"):
                if self.at("end"):
                    self.fail("expected ')'")
                self.take()
            self.take()

    def plain_partial(self, start: int, latex: bool) -> Node:
        """∂E/∂W1[2,1] or dE/dW2 (the ∂ or the name dE already taken)."""
        if latex:
            self.error_name()
        self.expect("op", "/", "'/' in ∂E/∂…")
        if latex:
            self.expect("cmd", "partial", "∂ after '/'")
            head = self.take()
        else:
            t = self.take()
            if t.kind != "name" or not t.text.startswith("d") or len(t.text) < 2:
                self.k -= 1
                self.fail("expected d<quantity> after dE/, as in dE/dW2")
            head = Token("name", t.text[1:], t.pos + 1, False)
        of = self.quantity(head)
        return PartialOf(start, of.end, of)

    def named(self) -> Node:
        t = self.tok
        if t.text in ("d" + e for e in ("E", "J")) and self.peek().text == "/":
            self.take()
            return self.plain_partial(t.pos, latex=False)
        kind = self.names.get(t.text)
        if kind is None:
            self.fail(f"unknown name in the {self.notation.name} notation; known: "
                      + ", ".join(sorted(set(self.names) - {"sum"})))
        if kind == "sum":
            self.take()
            return self.sum(t.pos)
        if kind in FUNCTIONS:
            self.take()
            arg = self.postfix(self.primary())
            return Apply(t.pos, arg.end, kind, None, arg)
        return self.quantity(self.take())

    # --- quantities, layers and indices ---

    def quantity(self, t: Token) -> Ref:
        kind = self.names.get(t.text) if t.kind == "name" else None
        if kind is None or kind in ("sum", "E") or kind in FUNCTIONS:
            self.k -= 1
            self.fail(f"expected a quantity of the {self.notation.name} notation")
        ref = Ref(t.pos, t.pos + len(t.text), kind, t.text)
        if self.at("num") and self.tok.glued:                         # W2, delta2, g2, n2
            n_ = self.take()
            ref = replace(ref, layer=Layer(None, int(n_.text)), end=n_.pos + len(n_.text))
        elif self.at("op", "(") and self.tok.glued and kind not in ("g", "gprime", "kronecker") and self._layer_ahead():
            self.take()
            ref = replace(ref, layer=self.layer())
            self.expect("op", ")", "')' after the layer")
        while True:
            if self.at("op", "^") and not self._transpose_ahead() and ref.layer is None and kind not in (
                    "X", "Y", "m", "lambda", "ones", "kronecker"):
                self.take()
                ref = self.superscript(ref)
            elif self.at("op", "_") and ref.indices is None:
                self.take()
                ref = self.subscript(ref)
            elif self.at("op", "[") and ref.indices is None and self.tok.glued:
                ref = self.brackets(ref)
            else:
                break
            ref = replace(ref, end=self.tokens[self.k - 1].pos + len(self.tokens[self.k - 1].text))
        if self.at("op", "'") and kind == "g":
            self.take()
            ref = replace(ref, kind="gprime")
            if self.at("op", "^") and ref.layer is None and not self._transpose_ahead():    # σ'^{(l)}: rare
                self.take()
                ref = self.superscript(ref)
        return ref

    def _layer_ahead(self) -> bool:
        """W(1)[2,1]: a layer in brackets glued to a name, as theta and ufldl name parameters."""
        k = self.k + 1
        while self.tokens[k].kind != "end" and self.tokens[k].text != ")":
            if self.tokens[k].text not in ("l", "L", "+", "-") and self.tokens[k].kind != "num":
                return False
            k += 1
        return self.tokens[k].text == ")"

    def _transpose_ahead(self) -> bool:
        nxt = self.peek()
        return nxt.text in ("T", "top", "intercal") or (nxt.text == "{" and self.peek(2).text in ("T", "top"))

    def superscript(self, ref: Ref) -> Ref:
        """^2, ^l, ^{l+1}, ^{(l)}, ^{(l)T} (θ^{(l)T}), ^{l\\prime}: the layer, and marks after it."""
        if not self.at("op", "{"):
            return replace(ref, layer=self.layer())
        self.take()
        self.nested()
        ref = replace(ref, layer=self.layer())
        while not self.at("op", "}"):
            if self.at("name", "T") or self.at("cmd", "top", "intercal"):
                ref = replace(ref, transposed=True)
            elif (self.at("op", "'") or self.at("cmd", "prime")) and ref.kind == "g":
                ref = replace(ref, kind="gprime")
            else:
                self.fail("expected '}' after the layer")
            self.take()
        self.close("{")
        return ref

    def layer(self) -> Layer:
        """2, l, L, l+1, L-1, (l), (l+1)."""
        bracketed = self.at("op", "(")
        if bracketed:
            self.take()
        if self.at("num"):
            layer = Layer(None, int(self.take().text))
        elif self.at("name", "l", "L"):
            layer = Layer(self.take().text)
        else:
            self.fail("expected a layer: a number, l or L, as in W^{l+1} or W2")
        while self.at("op", "+", "-") and self.peek().kind == "num":
            sign = 1 if self.take().text == "+" else -1
            layer = Layer(layer.base, layer.offset + sign * int(self.take().text))
        if bracketed:
            self.expect("op", ")", "')' after the layer")
        return layer

    def subscript(self, ref: Ref) -> Ref:
        """_{ij}, _{i,j}, _{p;i}, _i, _{:,1:} (θ's weight columns), _{l+1} for a size s_{l+1}."""
        if ref.kind == "size":
            inner = self.layer() if not self.at("op", "{") else None
            if inner is None:
                self.take()
                self.nested()
                inner = self.layer()
                self.close("{")
            return replace(ref, layer=inner)
        if not self.at("op", "{"):
            return self.index_list(ref, [self.index()], None)
        self.take()
        self.nested()
        if self.at("op", ":"):
            for text in (":", ",", "1", ":"):
                self.expect("op" if text != "1" else "num", text, "θ_{:,1:}, the weight columns")
            self.close("{")
            return replace(ref, columns=":,1:")
        items, sample = self.items("}")
        self.close("{")
        return self.index_list(ref, items, sample)

    def brackets(self, ref: Ref) -> Ref:
        self.take()
        self.nested()
        items, sample = self.items("]")
        self.close("[")
        return self.index_list(ref, items, sample)

    def items(self, closer: str) -> tuple[list, str | int | None]:
        """Indices separated by commas (or written together, ij), then an optional ;sample."""
        items, sample = [], None
        while not self.at("op", closer, ";"):
            if items and self.at("op", ","):
                self.take()
            items.extend(self.index_run())
        if self.at("op", ";"):
            self.take()
            sample = self.index()
        if not items:
            self.fail("expected an index")
        return items, sample

    def index_run(self) -> list:
        """One index, or letters written together (ij is i, j; 12 is 1, 2 only where two are needed)."""
        t = self.tok
        if t.kind == "name" and len(t.text) > 1:
            self.take()
            return list(t.text)
        if t.kind == "num" and len(t.text) > 1 and "." not in t.text:
            self.take()
            return [("digits", t.text)]
        return [self.index()]

    def index(self):
        t = self.tok
        if t.kind == "name" and len(t.text) == 1:
            self.take()
            return t.text
        if t.kind == "num" and t.text.isdigit():
            self.take()
            return int(t.text)
        self.fail("expected an index: a letter or a number")

    def index_list(self, ref: Ref, items: list, sample) -> Ref:
        need = {"kronecker": 2}.get(ref.kind, INDEXED.get(ref.kind, 0))
        if ref.kind in ("Z", "A", "X", "Y", "delta") and not self.notation.tex.per_sample and sample is None:
            need += 1                                 # the matrix notation writes the sample as a second index
        digits = [it for it in items if isinstance(it, tuple)]
        if digits and len(items) == 1 and len(digits[0][1]) == need:       # W_{21}: two one-digit indices
            items = [int(ch) for ch in digits[0][1]]
        items = [int(it[1]) if isinstance(it, tuple) else it for it in items]
        if ref.kind == "W" and self.notation.name == "theta" and len(items) == 2 and items[1] == 0:
            ref, items = replace(ref, kind="b"), items[:1]          # θ_{p,0}: the bias column
        elif need == 0:
            self.fail(f"{ref.name} takes no indices")
        elif len(items) != need:
            if self.tokens[self.k - 1].kind != "end":
                self.k -= 1
            self.fail(f"{ref.name} takes {need} ind{'ex' if need == 1 else 'ices'}"
                      + (" (unit, sample)" if need == 2 and ref.kind != "W" else ""))
        if ref.kind in ("Z", "A", "X", "Y", "delta") and not self.notation.tex.per_sample:
            items, sample = items[:-1], items[-1]
        return replace(ref, indices=tuple(items), sample=sample)

    def sum(self, start: int) -> Node:
        """\\sum_{k=1}^{n^{l+1}} body, sum_k body; the body is the product that follows."""
        var, low, high = None, 1, None
        if self.at("op", "_"):
            self.take()
            braced = self.at("op", "{")
            if braced:
                self.take()
                self.nested()
            var = self.index()
            if not isinstance(var, str):
                self.fail("expected the summation letter")
            if self.at("op", "="):
                self.take()
                low = int(self.expect("num", self.tok.text, "the lower limit (0 or 1)").text)
            if braced:
                self.close("{")
        if self.at("op", "^"):
            self.take()
            high = self.script_group(self.primary)
        if var is None:
            self.fail("expected _ and the summation letter after the sum")
        self.nested()
        body = self.term()
        self.depth -= 1
        return SumOver(start, body.end, var, low, high, body)


# --- from syntax to SymPy ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dim:
    """One side of a shape: the units of a layer (kind n, our layer), the samples (m), 1, or * (a column of
    ones, as long as what it multiplies)."""

    kind: str
    layer: sp.Expr | None = None

    def size(self) -> sp.Expr:
        if self.kind == "*":
            raise ShapeMismatch("the length of the column of ones cannot be told from what it multiplies")
        return {"n": lambda: n[self.layer], "m": lambda: m, "1": lambda: sp.Integer(1)}[self.kind]()

    def same(self, other: Dim) -> bool:
        if "*" in (self.kind, other.kind):
            return True
        return self.kind == other.kind and (self.kind != "n" or sp.expand(self.layer - other.layer) == 0)

    def maybe(self, other: Dim) -> bool:
        """Equal at some layer: l against L (the claim then fails where they differ)."""
        return self.kind == other.kind == "n" and bool((self.layer - other.layer).free_symbols)

    def show(self, notation: Notation) -> str:
        if self.kind != "n":
            return {"*": "any", "m": "m", "1": "1"}[self.kind]
        reader = Printer(notation).latex(self.layer + notation.layer_offset)
        return tex_to_text(notation.tex.size.replace("@l", reader))


@dataclass(frozen=True)
class Tensor:
    """A value of the claim: a scalar (shape None) or a matrix given entry by entry, ``at(row, col)``."""

    shape: tuple[Dim, Dim] | None
    at: object                    # (row, col) -> sp.Expr
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


class Reader:
    """Turns a syntax tree into SymPy, in one notation, keeping the letters each index was bound to."""

    def __init__(self, notation: Notation, text: str):
        from .general import Letters
        self.notation, self.text, self.x = notation, text, Letters(notation)
        self.offset = notation.layer_offset
        self.uses: dict[str, Dim] = {}          # letter -> the range of the first place it indexes
        self.bound: set[str] = set()
        self.samples: list[sp.Expr] = []       # the sample of per-sample quantities: innermost sum first
        self.sample_letter = notation.letters[3]
        self.fresh = iter(())                   # summation letters for matrix products (set by interpret)
        self.unit: tuple[sp.Expr, Dim, sp.Expr] | None = None   # a component claim's unit, its range, its sample
        self.notes: list[str] = []

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
        return reader if ref.kind in ("W", "b") else reader - self.offset

    def current_sample(self) -> sp.Expr:
        return self.samples[-1] if self.samples else self.letter(self.sample_letter)

    def use(self, letter, dim: Dim) -> sp.Expr:
        if isinstance(letter, str):
            self.uses.setdefault(letter, dim)
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
        if kind == "kronecker":
            if r.indices is None:
                raise ClaimSyntaxError("I needs two indices, as in I_{p,0}", r.end + 1, self.text)
            a, b_ = (self.letter(k) for k in r.indices)
            return Tensor(None, lambda i, j: sp.KroneckerDelta(a, b_), r)
        if kind in ("g", "gprime"):
            raise ClaimSyntaxError(f"{r.name} is a function: apply it, as in {r.name}'(Z^l)", r.end + 1, self.text)
        if kind == "E":
            raise ClaimSyntaxError("the error appears only in a partial ∂E/∂…", r.start + 1, self.text)
        if kind == "X":
            kind, r = "A", replace(r, layer=Layer(None, self.offset), kind="A")
        if kind == "W" and self.notation.name == "theta" and r.indices is None and r.columns != ":,1:":
            raise ClaimSyntaxError("θ^(l) includes the bias column 0; write θ^(l)_{:,1:} for the weights",
                                   r.start + 1, self.text)
        layer = None if kind == "Y" else self.our_layer(r)
        if kind == "Z" and self.notation.name == "theta" and layer == 0:
            kind = "A"                                   # z^(1) = x in theta: the input nodes
        tensor = self.component(kind, layer, r) if r.indices is not None else self.matrix(kind, layer, r)
        if r.indices is None and self.unit is not None and tensor.shape[0].same(self.unit[1]):
            unit, _, sample = self.unit                  # (h(z_p) − y) in a claim about δ_p: y is y_p
            column = self.current_sample() if self.notation.tex.per_sample else sample
            self.notes.append(f"{r.name} has no index: read as the entry of the left side's unit {unit}")
            return Tensor(None, lambda i, j: tensor.broadcast(unit, column), r)
        return Tensor(tensor.shape, tensor.at, r) if not r.transposed else self.transpose(Tensor(
            tensor.shape, tensor.at, r))

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
        units = [self.use(k, d) for k, d in zip(r.indices, dims, strict=False)]
        base = {"W": W, "b": b, "Z": Z, "A": A, "Y": Y, "delta": delta}[kind]
        if kind in ("W", "b"):
            return Tensor(None, lambda i, j: base[(layer, *units)])
        sample = self.use(r.sample, Dim("m")) if r.sample is not None else self.current_sample()
        head = () if kind == "Y" else (layer,)
        return Tensor(None, lambda i, j: base[(*head, *units, sample)])

    def matrix(self, kind: str, layer, r: Ref) -> Tensor:
        base = {"W": W, "b": b, "Z": Z, "A": A, "Y": Y, "delta": delta}[kind]
        dims = self.dims(kind, layer)
        if kind == "W":
            return Tensor(dims, lambda i, j: W[layer, i, j])
        if kind == "b":
            return Tensor((dims[0], Dim("1")), lambda i, j: b[layer, i])
        head = () if kind == "Y" else (layer,)
        if self.notation.tex.per_sample:                 # one sample's column
            sample = self.current_sample()
            return Tensor((dims[0], Dim("1")), lambda i, j: base[(*head, i, sample)])
        return Tensor(dims, lambda i, j: base[(*head, i, j)])

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
        var = self.letter(node.var)
        over_samples = self._over_samples(node)
        self.bound.add(node.var)
        if over_samples:
            self.samples.append(var)
        body = self.value(node.body)
        if over_samples:
            self.samples.pop()
        high = self.value(node.high).entry(None, None) if node.high is not None else None
        if high is None:
            dim = self.uses.get(node.var)
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
        return Tensor(t.shape, lambda i, j: Partial(E, t.entry(i, j)), node)

    def _Op(self, node: Op) -> Tensor:
        left, right = self.value(node.left), self.value(node.right)
        if node.op in "+-":
            return self.entrywise(node, left, right, lambda a, b_: a + b_ if node.op == "+" else a - b_)
        if node.op == "/":
            if not right.scalar and not (left.shape and right.shape and self.fits(left.shape, right.shape)):
                raise ShapeMismatch(f"{self.source(node)}: division by a matrix ({right.shown(self.notation)})")
            return self.entrywise(node, left, right, lambda a, b_: a / b_)
        ones = any(d.kind == "*" for t in (left, right) if t.shape for d in t.shape)    # δ 1: always a product
        if node.op == "⊙" or (node.op == "⋅" and not ones and (left.scalar or right.scalar
                                                                or self.fits(left.shape, right.shape))):
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
            shape = tuple(b_ if a.kind in ("1", "*") else a for a, b_ in zip(left.shape, right.shape, strict=True))
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


def walk(node: Node):
    """Every node of a syntax tree, root first."""
    yield node
    for f in fields(node):
        child = getattr(node, f.name)
        if isinstance(child, Node):
            yield from walk(child)


def _letters(nodes) -> set[str]:
    """The index letters a claim writes itself: a product's summation letter must be another."""
    out = set()
    for node in (child for root in nodes for child in walk(root)):
        if isinstance(node, Ref):
            out.update(k for k in (*(node.indices or ()), node.sample) if isinstance(k, str))
        elif isinstance(node, SumOver):
            out.add(node.var)
    return out


def interpret(sides: list[Node], notation: Notation, text: str) -> Claim:
    """``lhs = rhs`` (the two syntax trees of ``Parser.parse``) as a Claim in general form."""
    left, right = sides
    reader = Reader(notation, text)
    taken = _letters(sides) | {notation.letters[0], notation.letters[1], notation.letters[3]}
    reader.fresh = iter(k for k in "kqrtuvwxyzabdefgh" if k not in taken)
    lhs = _lhs(left, reader)
    if lhs.shape is None:
        lhs_expr, rhs, ranges = _component(left, right, lhs, reader)
    else:
        lhs_expr, rhs, ranges = _matrix(right, lhs, reader)
    _bound_apart(right, lhs_expr, reader)
    letters = {reader.letter(k): d for k, d in ({notation.letters[3]: Dim("m")} | reader.uses | ranges).items()}
    free = {s: d for s, d in letters.items() if s in lhs_expr.free_symbols}     # the left side's ranges win
    claim = Claim(text, lhs_expr, rhs, free, list(dict.fromkeys(reader.notes)))
    _sum_repeated(claim, reader)
    return claim


def _component(left: Node, right: Node, lhs: Tensor, reader: Reader) -> tuple[sp.Expr, sp.Expr, dict]:
    """One entry each side; an unindexed vector on the right is read at the left side's unit (seed 001's y)."""
    target = left.of if isinstance(left, PartialOf) else left
    entry = lhs.entry(None, None)
    if target.kind in ("delta", "Z", "A") and len(target.indices) == 1:
        node = entry.args[1] if isinstance(entry, Partial) else entry
        reader.unit = (node.indices[1], reader.dims(target.kind, node.indices[0])[0], node.indices[-1])
    value = reader.value(right)
    if not value.scalar:
        raise ShapeMismatch(f"the left side is one entry but the right side is {value.shown(reader.notation)}",
                            (right,))
    return entry, value.broadcast(1, 1), {}


def _matrix(right: Node, lhs: Tensor, reader: Reader) -> tuple[sp.Expr, sp.Expr, dict]:
    """Entry (row, col) of both sides, the letters the notation uses for a unit and the previous unit or sample."""
    unit, prev, _, sample = reader.notation.letters
    column = lhs.shape[1].kind != "1"
    rows = reader.letter(unit)
    cols = reader.letter(prev if lhs.shape[1].kind == "n" else sample) if column else sp.Integer(1)
    value = reader.value(right)
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
    if reader.notation.tex.per_sample and sample in claim.rhs.free_symbols and sample not in lhs_letters:
        claim.sample = sample
    claim.free = {s: d for s, d in claim.free.items() if s in lhs_letters}


def read(text: str, notation: Notation) -> Claim:
    """Parse and interpret one claim."""
    parser = Parser(text, notation)
    claim = interpret(parser.parse(), notation, parser.text)
    claim.text = text.strip()
    return claim


# --- files of claims ------------------------------------------------------------------------------------------

_ENVIRONMENT = re.compile(r"\\(begin|end)\{(align\*?|aligned|equation\*?|gather\*?|eqnarray\*?)\}|\\\[|\\\]")


def split_claims(text: str) -> list[tuple[int, str]]:
    """(line number, claim) for each claim of a file, in order.

    One claim per line; blank lines and lines starting with # or % are skipped. LaTeX display
    environments (align, equation, …) and $$ are unwrapped, a line is split at \\\\, and a line that
    starts with '=' (or '&=') continues the previous claim's left side.
    """
    out: list[tuple[int, str]] = []
    previous_lhs = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _ENVIRONMENT.sub("", raw).strip()
        for piece in line.split("\\\\"):
            piece = piece.strip().strip("$").strip()
            if not piece or piece.startswith(("#", "%")):
                continue
            if piece.lstrip("&").lstrip().startswith("=") and previous_lhs:
                piece = previous_lhs + " " + piece.lstrip("&").lstrip()
            else:
                previous_lhs = piece.split("=")[0].replace("&", "") if "=" in piece else ""
            out.append((number, piece))
    return out
