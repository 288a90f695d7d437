"""Reading a hand derivation, its syntax: a claim in plain text or LaTeX, as tokens and a small syntax tree.

User text is never evaluated. A whitelisting tokenizer turns it into tokens (names, numbers, a fixed
set of LaTeX commands and operators; anything else is a ``ClaimSyntaxError`` naming the column), and a
recursive-descent parser builds the syntax tree of ``lhs = rhs``, in one notation's names (``Notation.words``).
What the tree means is reading.py's business. Limits keep hostile input cheap: ``MAX_LENGTH``
characters, ``MAX_TOKENS`` tokens, ``MAX_DEPTH`` nested brackets, sums, fractions and signs, exponents
up to ``MAX_EXPONENT``.

Examples (matrix notation; ``theta`` and ``ufldl`` use their own letters, see ``Notation.words``):

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
from dataclasses import dataclass, fields, replace
from typing import Any, NoReturn, cast

import sympy as sp

from ..model.activations import ACTIVATIONS
from ..model.errors import SpecError
from ..model.notations import Notation

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


# --- tokens --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str     # num, name, cmd, op, end
    text: str
    pos: int      # 0-based offset in the claim
    glued: bool = False    # no space before it (W2: the layer is glued to the name)


UNICODE = {"−": "-", "·": "*", "×": "*", "⊙": "⊙", "∘": "⊙", "′": "'", "≡": "=", "ᵀ": "^T",
           "δ": "delta", "ε": "epsilon", "ϵ": "epsilon", "θ": "theta", "σ": "sigma", "Ψ": "Psi", "λ": "lambda",
           "Σ": "sum",
           "∑": "sum", "∂": "partial", "∇": "nabla", "←": "leftarrow", "ℓ": "l", "•": "⊙", "∙": "⊙",
           "Ω": "Omega", "⊤": "^T", "ŷ": "\\hat{y}", "≥": "\\geq ", "≤": "\\leq "}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ˡᴸ", "0123456789+-()lL", strict=True))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₚₗₘₙ", "0123456789ijkplmn", strict=True))
GREEK = {"delta": "delta", "varepsilon": "epsilon", "epsilon": "epsilon", "theta": "theta", "sigma": "sigma",
         "Psi": "Psi", "lambda": "lambda", "partial": "partial", "ell": "l",
         "Omega": "Omega"}
COMMANDS = {"frac", "dfrac", "tfrac", "sum", "left", "right", "odot", "circ", "cdot", "times", "top", "intercal",
            "prime", "mathrm", "mathit", "operatorname", "boxed", "mathbf", "boldsymbol", "mathbb", "exp", "log",
            "ln", "tanh", "limits", "displaystyle", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "equiv",
            "coloneqq", "quad", "qquad", "label", "tag", "nonumber", "notag", "bullet", "nabla", "leftarrow",
            "gets", "vec", "hat", "rm", "begin", "end", "text", "mbox", "textrm", "geq", "ge", "leq", "le", "gt",
            "lt", "geqslant", "leqslant"}
SKIPPED = {"rm", "left", "right", "displaystyle", "limits", "big", "Big", "bigl", "bigr", "Bigl", "Bigr", "[", "]"}
SPACES = {",", ";", "!", ":", " "}
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>[A-Za-z]+)|(?P<cmd>\\(?:[A-Za-z]+|.))"
                    r"|(?P<op>\.\*|\.T\b|:=|\|\||<=|>=|[-+*/@^_'()\[\]{},=&;:.⊙|$‖<>]))")
COMPARISONS = {"geq": ">=", "ge": ">=", "geqslant": ">=", "leq": "<=", "le": "<=", "leqslant": "<=", "gt": ">",
               "lt": "<"}
TEXT_WORDS = {"if": None, "for": None, "when": None, "otherwise": "otherwise", "else": "otherwise", "elsewhere":
              "otherwise"}
NORM_BARS = {"|", "lVert", "rVert", "Vert"}      # \| and its named forms: one ‖


_RM = re.compile(r"\{\s*\\rm\s+([A-Za-z]+)\s*\}")


def normalise(text: str) -> str:
    """Unicode maths as the ASCII the tokenizer reads: δ²₁₂ -> delta^{2}_{12}, ∂ -> \\partial, − -> -; the
    old switch {\\rm A} as \\mathrm{A}, so a layer after the brace is the name's."""
    text = _RM.sub(r"\\mathrm{\1}", text)
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
            out.append(f" \\{word} " if word in ("partial", "nabla", "leftarrow") else spaced)
            k += 1
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Whitelisted tokens; anything else is a syntax error at its column."""
    if len(text) > MAX_LENGTH:
        raise ClaimSyntaxError(f"a claim is at most {MAX_LENGTH} characters; this one has {len(text)}", 1)
    source, tokens, pos, cases = text, [], 0, 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ClaimSyntaxError(f"unexpected character {text[start]!r}; a claim uses names, numbers, "
                                   "+ - * / @ ^ _ ' ( ) [ ] { } , = and LaTeX maths", start + 1, source)
        kind = match.lastgroup
        assert kind is not None                   # every alternative of _TOKEN is a named group
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
            if name == "_":                           # \_ in a typeset name: hidden\_layer
                tokens.append(Token("op", "_", start, glued))
                continue
            if name in NORM_BARS:
                tokens.append(Token("op", "‖", start, glued))
                continue
            if name in GREEK:
                tokens.append(Token("name" if name != "partial" else "cmd", GREEK[name], start, glued))
                continue
            if name not in COMMANDS:
                raise ClaimSyntaxError(f"unknown LaTeX command {word}; allowed: \\frac, \\sum, \\partial, \\delta, "
                                       "\\varepsilon, \\theta, \\sigma, \\Psi, \\lambda, \\odot, \\circ, \\cdot, "
                                       "\\left, \\right, \\top, \\exp, \\log, \\mathbf{1}", start + 1, source)
            if name in ("begin", "end"):
                env = re.compile(r"\s*\{\s*cases\s*\}").match(text, pos)
                if not env:
                    raise ClaimSyntaxError(f"\\{name}{{…}}: only the cases environment is read inside a claim",
                                           start + 1, source)
                pos = env.end()
                cases += 1 if name == "begin" else -1
                tokens.append(Token("cmd", "cases" if name == "begin" else "endcases", start))
                continue
            if name in ("text", "mbox", "textrm"):
                group = re.compile(r"\s*\{([^{}]*)\}").match(text, pos)
                if not group:
                    raise ClaimSyntaxError(f"expected {{…}} after {word}", pos + 1, source)
                pos = group.end()
                words = group.group(1).replace(",", " ").split()
                if len(words) == 1 and activation_named(words[0]):      # \text{ReLU}'(z): the activation's name
                    tokens.append(Token("name", words[0], group.start(1), True))
                    continue
                for w in words:
                    if w.lower() not in TEXT_WORDS:
                        raise ClaimSyntaxError(f"\\text{{{group.group(1)}}}: text in a claim is read only as a cases "
                                               "row's if, for or otherwise", start + 1, source)
                    if TEXT_WORDS[w.lower()]:
                        tokens.append(Token("name", "otherwise", start))
                continue
            if name in COMPARISONS:
                tokens.append(Token("op", COMPARISONS[name], start))
                continue
            if name in ("quad", "qquad"):          # what follows is an equation number or a remark
                break
            if name in ("label", "tag"):
                pos = _skip_group(text, pos, source)
                continue
            if name in ("nonumber", "notag"):
                continue
            tokens.append(Token("cmd", name, start, glued))
        elif kind == "op" and word == "&" and cases:
            tokens.append(Token("op", "&", start))          # a cases row: value & condition
        elif kind == "op" and word in ("&", "$"):
            continue
        elif kind == "op" and word == "||":
            tokens.append(Token("op", "‖", start, glued))
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
    function: str        # g, gprime, exp, log, tanh; named:relu, named_prime:relu (an activation by its name)
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
    example: str = ""        # E_n, C_x: the partial of one example's error (the letter written)
    scaled: bool = False     # Ng's dA, dZ: the notation's signal scale times the partial


@dataclass(frozen=True)
class Error(Node):
    """The error itself, on a claim's left side: E = …, J(W, b) = …, one example's E_n = … (its letter)."""

    example: str = ""


@dataclass(frozen=True)
class Norm(Node):
    """‖v‖ (\\|v\\|, \\lVert v \\rVert, ||v||, with _2 or _F): the Euclidean norm of a vector, Frobenius of a matrix."""

    arg: Node


@dataclass(frozen=True)
class Var(Node):
    """The argument of an activation claim, g'(z) = …: a plain real variable, not a network quantity."""

    name: str


@dataclass(frozen=True)
class Compare(Node):
    """A condition of a cases row: left op right, op one of < > <= >=; or "otherwise" (left, right None)."""

    op: str
    left: Node | None = None
    right: Node | None = None


@dataclass(frozen=True)
class Cases(Node):
    r"""\begin{cases} value & condition \\ … \end{cases}: the first row whose condition holds."""

    rows: tuple[tuple[Node, Compare], ...] = ()


# Each notation's names for our quantities (rules as data). Every notation also reads m, λ, sums,
# exp and log; Ψ is theta's h′. In theta, θ^(l)_{p,0} is the bias and θ^(l)_{p,q}, q ≥ 1, a weight.
COMMON = {"m": "m", "lambda": "lambda", "lam": "lambda", "exp": "exp", "log": "log", "ln": "log", "tanh": "tanh",
          "ones": "ones", "sum": "sum"}
FUNCTIONS = {"exp", "log", "tanh"}


def activation_named(text: str) -> str | None:
    """The activation entry a claim names, by its name or an alias the entry lists, in any case (ReLU):
    relu, tanh, sigmoid, softplus, gelu, swish (silu), …; not generic g (no formula) nor softmax (not
    entrywise: write A^L)."""
    low = text.lower()
    for name, entry in ACTIVATIONS.items():
        if entry.elementwise and entry.concrete and low in {name.lower(), *(a.lower() for a in entry.names)}:
            return name
    return None
INDEXED = {"W": 2, "b": 1, "Z": 1, "A": 1, "X": 1, "Y": 1, "delta": 1}    # unit indices (a sample follows)


def names_of(notation: Notation) -> dict[str, str]:
    return {**COMMON, **notation.words}


class Parser:
    """Recursive descent over the tokens of one claim: ``parse`` gives the list of sides of ``a = b (= c …)``."""

    def __init__(self, text: str, notation: Notation):
        self.text, self.notation, self.names = normalise(text), notation, names_of(notation)
        self.tokens, self.k, self.depth = _joined(tokenize(self.text), self.names), 0, 0
        self.layer_letters: set[str] = set()
        self.norms = 0                      # norms open here: a ‖ then closes, it does not start a factor
        self.variable = self._function_variable()    # g'(z) = …: z is a plain variable

    def _function_variable(self) -> str | None:
        """The z of an activation claim, g'(z) = …, σ(z) = …, \\operatorname{ReLU}'(z) = …: the left side is a
        function of the table (the notation's g, or an activation by its name) applied to one letter."""
        eq = next((k for k, t in enumerate(self.tokens) if (t.kind == "op" and t.text in ("=", ":="))
                   or (t.kind == "cmd" and t.text in ("equiv", "coloneqq"))), None)
        if eq is None or eq < 4:
            return None
        left = self.tokens[:eq]
        if not (left[-3].text == "(" and left[-2].kind == "name" and len(left[-2].text) == 1 and left[-1].text == ")"):
            return None
        head = [t for t in left[:-3] if t.kind in ("name", "cmd") and t.text not in ("operatorname", "mathrm")]
        if not head or any(t.kind == "op" and t.text not in ("'", "{", "}", "^", "(", ")") for t in left[:-3]):
            return None
        name = head[0].text
        if self.names.get(name) == "g" or activation_named(name) or (head[0].kind == "cmd" and name == "tanh"):
            return left[-2].text
        return None

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

    def fail(self, message: str) -> NoReturn:
        found = self.tok.text or "the end of the claim"
        raise ClaimSyntaxError(f"{message}, found {found!r}" if self.tok.kind != "end" else f"{message}, found "
                               "the end of the claim", self.tok.pos + 1, self.text)

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail(f"nested too deeply (at most {MAX_DEPTH} brackets, sums, fractions and functions)")

    def whole(self, what: str) -> int:
        """The number token here, as a whole number (1.5 is not a layer, an index or a limit)."""
        if not self.tok.text.isdigit():
            self.fail(f"{what} is a whole number")
        return int(self.take().text)

    def close(self, opener: str) -> None:
        closer = {"(": ")", "[": "]", "{": "}"}[opener]
        self.expect("op", closer, f"{closer!r} to close {opener!r}")
        self.depth -= 1

    # --- the grammar ---

    def parse(self) -> list[Node]:
        """claim := expr '=' expr, or \\boxed{expr = expr}"""
        if self.at("cmd", "boxed") and self.peek().text == "{" and self.tokens[-2].text == "}":
            self.tokens = self.tokens[2:-2] + self.tokens[-1:]          # the box around the whole equation
        sides = [self.error() if self.at("name") and self.names.get(self.tok.text) in ("E", "E1")
                 and self.peek().text != "/" else self.expr()]
        while self.at("op", "=", ":=") or self.at("cmd", "equiv", "coloneqq", "leftarrow", "gets"):
            self.take()
            sides.append(self.expr())
        if self.at("op", ",", ".") and self.peek().kind == "end":       # a sentence's comma or full stop
            self.take()
        if not self.at("end"):
            self.fail("expected an operator or '='")
        if isinstance(sides[0], Ref) and sides[0].kind == "running":     # g ← ∇_{a^{(k)}} J = g ⊙ f'(a^{(k)})
            if len(sides) != 3:
                raise ClaimSyntaxError("an assignment to the running gradient says what it becomes: "
                                       "g ← ∇_{a^{(k)}} J = …", sides[0].start + 1, self.text)
            sides = sides[1:]
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
                ("op", ".*"): "⊙"}
    HADAMARD = {("op", "⊙"): "⊙", ("cmd", "odot"): "⊙", ("cmd", "circ"): "⊙", ("cmd", "bullet"): "⊙"}

    def term(self) -> Node:
        """term := product ((⊙ ∘ \\odot \\circ \\bullet) product)*

        The entrywise product binds looser than a matrix product, as textbooks mean it:
        ``σ'(z^l) ⊙ (W^{l+1})^T δ^{l+1}`` is ``σ'(z^l) ⊙ ((W^{l+1})^T δ^{l+1})``. MATLAB's ``.*`` keeps
        MATLAB's precedence (that of ``*``)."""
        node = self.product()
        while (op := self.HADAMARD.get((self.tok.kind, self.tok.text))):
            self.take()
            right = self.product()
            node = Op(node.start, right.end, op, node, right)
        return node

    def product(self) -> Node:
        """product := factor ((* / @ .* · or juxtaposition) factor)*"""
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
                or (t.kind == "op" and t.text == "‖" and not self.norms)       # inside a norm, ‖ closes it
                or (t.kind == "cmd" and t.text in ("frac", "dfrac", "tfrac", "sum", "partial", "mathbf", "boldsymbol",
                                                   "nabla", "vec", "hat",
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
            elif self.at("op", ".") and self.peek().text in ("dot", "sum") and self.peek(2).text == "(":
                self.k += 1
                method = self.take().text
                self.expect("op", "(", "'('")
                self.nested()
                if method == "dot":                      # W.dot(x): the matrix product
                    other = self.expr()
                    node = Op(node.start, other.end, "@", node, other)
                else:                                    # x.sum(axis=1, keepdims=True)
                    if self.at("op", ")"):
                        self.fail("x.sum() needs axis=1 (over the samples) or axis=0")
                    self.tokens.insert(self.k, Token("op", ",", self.tok.pos))
                    node = self.axis_sum(node.start, node)
                node = replace(node, end=self.tok.pos + 1)
                self.close("(")
            elif self.at("op", "'") and isinstance(node, Ref) and node.kind == "g":
                self.take()
                node = replace(node, kind="gprime")
            elif isinstance(node, Ref) and node.kind in ("g", "gprime") and self.at("op", "("):
                arg = self.group("(")
                node = Apply(node.start, arg.end, node.kind, node.layer, arg)
            else:
                return node

    def numpy(self, start: int) -> Node:
        """np.dot(a, b), np.multiply(a, b), np.sum(a, axis=1, keepdims=True), np.exp(a), np.log(a), np.tanh(a)."""
        self.k += 2
        function = self.take()
        if function.text not in ("dot", "matmul", "multiply", "sum", "exp", "log", "tanh", "transpose"):
            self.k -= 1
            self.fail("expected np.dot, np.matmul, np.multiply, np.sum, np.exp, np.log, np.tanh or np.transpose")
        self.expect("op", "(", "'(' after np." + function.text)
        self.nested()
        first = self.expr()
        if function.text in ("dot", "matmul", "multiply"):
            self.expect("op", ",", "',' between the two arguments")
            second = self.expr()
            node: Node = Op(start, second.end, "@" if function.text != "multiply" else "⊙", first, second)
        elif function.text == "sum":
            node = self.axis_sum(start, first)
        elif function.text == "transpose":
            node = Transpose(start, first.end, first)
        else:
            node = Apply(start, first.end, function.text, None, first)
        end = self.tok.pos + 1
        self.close("(")
        return replace(node, end=end)

    def axis_sum(self, start: int, of: Node) -> Node:
        """The rest of np.sum(x, axis=1, keepdims=True) or x.sum(axis=1): over the columns (a column of sums,
        x @ 1) or over the rows (1ᵀ x). Without an axis the sum is of every entry: not a quantity of a claim."""
        axis = None
        while self.at("op", ","):
            self.take()
            word = self.take()
            self.expect("op", "=", "'=' after " + word.text)
            if word.text == "axis" and self.at("num") and self.tok.text in ("0", "1"):
                axis = int(self.take().text)
            elif word.text == "keepdims" and self.at("name", "True"):
                self.take()
            else:
                self.k -= 1
                self.fail("expected axis=0 or axis=1, or keepdims=True")
        if axis is None:
            self.fail("np.sum needs axis=1 (over the samples) or axis=0")
        ones = Ref(start, start, "ones", "1")
        if axis == 1:
            return Op(start, of.end, "@", of, ones)
        return Op(start, of.end, "@", Transpose(start, start, ones), of)

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
        if t.kind == "op" and t.text == "‖":
            return self.norm()
        if t.kind == "cmd":
            return self.command()
        if t.kind == "name":
            return self.named()
        self.fail("expected a quantity, a number or '('")

    def command(self) -> Node:
        t = self.take()
        if t.text == "cases":
            return self.cases(t.pos)
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
        if t.text in ("mathbf", "boldsymbol", "mathbb", "vec"):
            inner = self.script_group(self.primary)
            if isinstance(inner, Num) and inner.value == 1:
                return Ref(t.pos, self.tokens[self.k - 1].pos + 1, "ones", "1")
            if isinstance(inner, Ref) and inner.layer is None and inner.indices is None:
                return self.suffixes(inner)          # \boldsymbol{\delta}^{l}: the layer follows the bold name
            return inner
        if t.text == "nabla":
            return self.nabla(t.pos)
        if t.text == "hat":                          # \hat{y}: the prediction, the output layer's activation
            inner = self.script_group(self.primary)
            if not (isinstance(inner, Ref) and inner.kind == "Y" and inner.indices is None):
                self.k -= 1
                self.fail("\\hat is read only on the target's letter: \\hat{y}, the network's output")
            return replace(inner, start=t.pos, kind="A", layer=Layer("L"))
        if (t.text in ("mathrm", "operatorname") and self.at("op", "{") and self.peek().kind == "name"
                and self.peek(2).text == "}" and activation_named(self.peek().text)):
            self.take()                                # \operatorname{ReLU}'(z): the name, then as relu'(z)
            name = self.tok
            self.tokens[self.k + 1] = Token("name", name.text, name.pos, False)
            self.take()
            return self.named_activation(cast(str, activation_named(name.text)))
        if t.text in ("mathrm", "operatorname", "boxed"):
            inner = self.script_group(self.primary) if t.text != "boxed" else self.group("{")
            if t.text != "boxed" and isinstance(inner, Ref) and inner.layer is None and inner.indices is None:
                return self.suffixes(inner)          # \mathrm{A}^{2}: the layer follows the upright name
            return inner
        if t.text == "tanh" and self.at("op", "'"):      # \tanh'(z): the derivative of tanh, by its name
            self.k -= 1
            self.tokens[self.k] = Token("name", "tanh", t.pos, False)
            return self.named_activation("tanh")
        if t.text in ("exp", "log", "ln", "tanh"):
            arg = self.argument()
            return Apply(t.pos, arg.end, "log" if t.text == "ln" else t.text, None, arg)
        self.k -= 1
        self.fail("expected a quantity, a number or '('")

    def cases(self, start: int) -> Node:
        r"""\begin{cases} value [,] & [if] condition \\ … \end{cases}; a condition compares two expressions
        (< > \leq \geq ≤ ≥), or is "otherwise"."""
        self.nested()
        rows: list[tuple[Node, Compare]] = []
        while True:
            value = self.expr()
            if self.at("op", ","):
                self.take()
            self.expect("op", "&", "'&' between a cases row's value and its condition")
            if self.at("name", "otherwise"):
                t = self.take()
                rows.append((value, Compare(t.pos, t.pos + 1, "otherwise")))
            else:
                left = self.expr()
                if not self.at("op", "<", ">", "<=", ">="):
                    self.fail("expected a comparison (<, >, \\leq, \\geq) in the cases row's condition")
                op = self.take().text
                right = self.expr()
                rows.append((value, Compare(left.start, right.end, op, left, right)))
            if self.at("op", ",", "."):
                self.take()
            if self.at("op", "\\\\"):
                self.take()
            if self.at("cmd", "endcases"):
                end = self.take().pos
                break
            if self.at("end"):
                self.fail("expected \\end{cases}")
        self.depth -= 1
        return Cases(start, end + 1, tuple(rows))

    def norm(self) -> Node:
        """‖v‖, ‖v‖_2, ‖W‖_F (\\left\\| … \\right\\|): Euclidean for a vector, Frobenius for a matrix; the 2 or F
        subscript says which, and is read as that."""
        start = self.take().pos
        self.nested()
        self.norms += 1
        arg = self.expr()
        self.norms -= 1
        self.expect("op", "‖", "'‖' to close the norm")
        self.depth -= 1
        end = self.tokens[self.k - 1].pos + 1
        if self.at("op", "_"):
            self.take()
            braced = self.at("op", "{")
            if braced:
                self.take()
            if not (self.at("num", "2") or self.at("name", "F")):
                self.fail("a norm's subscript is 2 (Euclidean) or F (Frobenius)")
            end = self.take().pos + 1
            if braced:
                end = self.expect("op", "}", "'}' after the norm's subscript").pos + 1
        return Norm(start, end, arg)

    def argument(self) -> Node:
        """A function's argument: exp exp … x nests as deeply as exp(exp(…(x))), so it counts towards MAX_DEPTH."""
        self.nested()
        arg = self.postfix(self.primary())
        self.depth -= 1
        return arg

    def latex_partial(self, start: int) -> Node:
        r"""\frac{\partial E}{\partial W^l_{ij}} (the \frac and its nesting already taken)."""
        self.expect("op", "{", "'{'")
        self.expect("cmd", "partial", r"\partial")
        example = self.error_name()
        self.expect("op", "}", "'}' after the error")
        self.expect("op", "{", "'{'")
        self.expect("cmd", "partial", r"\partial")
        of = self.quantity(self.take())
        end = self.tok.pos + 1
        self.expect("op", "}", "'}' after the quantity")
        self.depth -= 1
        return PartialOf(start, end, of, example)

    def nabla(self, start: int) -> Node:
        r"""\nabla_{W^l} C, \nabla_a C (Nielsen's: the output layer's activations): a partial of the error."""
        self.expect("op", "_", "'_' and the quantity after \\nabla")
        at = self.k
        of = self.script_group(self.primary)
        if not isinstance(of, Ref) or of.kind not in ("W", "b", "Z", "A", "X"):
            self.k = at
            self.fail("expected the quantity of the gradient after \\nabla_, as in \\nabla_{W^l} C")
        if of.kind == "A" and of.layer is None:
            of = replace(of, layer=Layer("L"))
        if self.at("name") and self.names.get(self.tok.text) == "Omega":   # λ∇_W Ω(θ): Ω = ½ Σ‖W‖², the decay
            self.take()
            self.skip_arguments()
            if of.kind not in ("W", "b") or of.indices is not None:
                self.fail("\\nabla Ω is read for a whole W or b: Ω(θ) = ½ Σ ‖W‖², so ∇_W Ω = W and ∇_b Ω = 0")
            return of if of.kind == "W" else Num(start, of.end, sp.Integer(0))
        example = self.error_name()
        return PartialOf(start, self.tokens[self.k - 1].pos + 1, of, example)

    def error(self) -> Node:
        """The error itself as a claim's left side: E, J(W, b), C_x, E_n."""
        start = self.tok.pos
        example = self.error_name()
        return Error(start, self.tokens[self.k - 1].pos + len(self.tokens[self.k - 1].text), example)

    def error_name(self) -> str:
        """E or J (C, L: the notation's names), optionally with its arguments J(W,x,y), which are ignored, or one
        example's E_n: that example's letter ("" for the whole error)."""
        if not (self.at("name") and self.names.get(self.tok.text) in ("E", "E1")):
            self.fail(f"expected the error ({self.notation.error}) after ∂: only partials of the error are claims")
        example = "x" if self.names.get(self.take().text) == "E1" else ""     # the notation's one-example error
        if self.at("op", "_"):                       # E_n, C_x: one example's error
            self.take()
            braced = self.at("op", "{")
            if braced:
                self.take()
            if not (self.at("name") and len(self.tok.text) == 1):
                self.fail("expected the example's letter, as in E_n")
            example = self.take().text
            if braced:
                self.expect("op", "}", "'}' after the example's letter")
        self.skip_arguments()
        return example

    def skip_arguments(self) -> None:
        """J(W,x,y), Ω(θ): the arguments written after the error or the penalty say nothing more; skipped."""
        if self.at("op", "(") and self.tok.glued:
            self.take()
            while not self.at("op", ")"):
                if self.at("end"):
                    self.fail("expected ')'")
                self.take()
            self.take()

    def plain_partial(self, start: int, latex: bool) -> Node:
        """∂E/∂W1[2,1] or dE/dW2 (the ∂ or the name dE already taken)."""
        example = self.error_name() if latex else ""
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
        return PartialOf(start, of.end, of, example)

    def named_activation(self, rule: str) -> Node:
        """relu(z), tanh'(z), ReLU'(Z^1): an activation of the table by its name (or an alias its entry
        lists), applied entrywise; with a prime, its derivative."""
        t = self.take()
        prime = self.at("op", "'")
        if prime:
            self.take()
        arg = self.argument()
        return Apply(t.pos, arg.end, f"named{'_prime' if prime else ''}:{rule}", None, arg)

    def named(self) -> Node:
        t = self.tok
        if self.variable is not None and t.text == self.variable:
            self.take()
            return Var(t.pos, t.pos + 1, t.text)
        if t.text == "otherwise":
            self.fail("'otherwise' is read as the condition of a cases row")
        if t.text[:1] == "d" and self.names.get(t.text[1:]) in ("E", "E1") and self.peek().text == "/":
            self.take()
            return self.plain_partial(t.pos, latex=False)
        if t.text == "np" and self.peek().text == "." and self.peek(2).kind == "name":
            return self.numpy(t.pos)
        kind = self.names.get(t.text)
        if kind is not None and kind.startswith("d:"):             # dW, db, dZ, dA: a partial of the error, by name
            self.take()
            of_kind, _, at = kind[2:].partition(":")               # d:A:L-1: at a fixed layer (CS231n's dhidden)
            of = self.suffixes(Ref(t.pos, t.pos + len(t.text), of_kind, t.text,
                                   layer=_layer_of(at) if at else None))
            return PartialOf(t.pos, of.end, of, scaled=kind[2:] in ("Z", "A"))
        rule = activation_named(t.text) if kind is None or kind in FUNCTIONS else None
        if rule is not None and (kind is None or self.peek().text == "'"):
            return self.named_activation(rule)
        if kind is None:
            self.fail(f"unknown name in the {self.notation.name} notation; known: "
                      + ", ".join(sorted(set(self.names) - {"sum"})))
        if kind == "sum":
            self.take()
            return self.sum(t.pos)
        if kind in FUNCTIONS:
            self.take()
            arg = self.argument()
            return Apply(t.pos, arg.end, kind, None, arg)
        return self.quantity(self.take())

    # --- quantities, layers and indices ---

    def quantity(self, t: Token) -> Ref:
        kind = self.names.get(t.text) if t.kind == "name" else None
        if kind in ("E", "E1"):
            self.k -= 1
            self.fail(f"the error {t.text} is read on the left of a claim about it ({t.text} = …) or in a partial "
                      f"∂{t.text}/∂…")
        if kind is None or kind == "sum" or kind in FUNCTIONS:
            self.k -= 1
            self.fail(f"expected a quantity of the {self.notation.name} notation")
        if ":" in kind:                              # a word with its layer: Bishop's y_k is A^L_k, K is n^L
            kind, layer = kind.split(":")
            written = self.at("op", "^") and self.tok.glued and not self._transpose_ahead()   # W^{2}: its own layer
            return self.suffixes(Ref(t.pos, t.pos + len(t.text), kind, t.text,
                                     layer=None if written else _layer_of(layer)))
        return self.suffixes(Ref(t.pos, t.pos + len(t.text), kind, t.text))

    def suffixes(self, ref: Ref) -> Ref:
        """A quantity's layer, indices and marks: W2, W(1)[2,1], W^{l+1}_{ij}, g^l', θ^{(l)T}."""
        kind = ref.kind
        if self.at("num") and self.tok.glued:                         # W2, delta2, g2, n2
            n_ = self.tok
            ref = replace(ref, layer=Layer(None, self.whole("a layer")), end=n_.pos + len(n_.text))
        elif self.at("op", "(") and self.tok.glued and kind not in ("g", "gprime", "kronecker") and self._layer_ahead():
            self.take()
            ref = replace(ref, layer=self.layer())
            self.expect("op", ")", "')' after the layer")
        if kind == "A" and self.at("op", "_") and self._parameters_subscript_ahead():
            while self.take().text != "}":          # UFLDL's h_{W,b}(x): the parameters it depends on, said
                pass
        while True:
            if self.at("op", "^") and not self._transpose_ahead() and ref.layer is None and kind not in (
                    "X", "Y", "m", "lambda", "ones", "kronecker"):
                self.take()
                ref = self.superscript(ref)
            elif self.at("op", "_") and ref.indices is None:
                self.take()
                ref = self.subscript(ref)
                if self.at("op", "^") and not (self.peek().text == "(" or self.peek(2).text == "("):
                    ref = self.unit_layer(ref)       # Bishop's z_j^2: the layer is j's, the 2 a power
            elif self.at("op", "[") and ref.indices is None and self.tok.glued:
                ref = self.brackets(ref)
            else:
                break
            ref = replace(ref, end=self.tokens[self.k - 1].pos + len(self.tokens[self.k - 1].text))
        ref = self.unit_layer(ref)
        if (self.at("op", "(") and self.tok.glued and kind in ("A", "Y", "Z", "delta") and ref.sample is None
                and self.peek().kind == "name" and len(self.peek().text) == 1 and self.peek(2).text == ")"):
            self.take()                              # Nielsen's y(x), a^L(x): the quantity for training example x
            ref = replace(ref, sample=self.take().text, end=self.take().pos + 1)
        if self.at("op", "'") and kind == "g":
            self.take()
            ref = replace(ref, kind="gprime")
            if self.at("op", "^") and ref.layer is None and not self._transpose_ahead():    # σ'^{(l)}: rare
                self.take()
                ref = self.superscript(ref)
        return ref

    def unit_layer(self, ref: Ref) -> Ref:
        """No layer written: the notation's layer of the first unit letter, if it has one (Bishop's δ_k, k output)."""
        units = self.notation.unit_layers
        if ref.layer is None and ref.indices and isinstance(ref.indices[0], str) and ref.indices[0] in units:
            return replace(ref, layer=_layer_of(units[ref.indices[0]]))
        return ref

    def _layer_ahead(self) -> bool:
        """W(1)[2,1]: a layer in brackets glued to a name, as theta and ufldl name parameters."""
        k = self.k + 1
        while self.tokens[k].kind != "end" and self.tokens[k].text != ")":
            if self.tokens[k].text not in ("l", "L", "+", "-") and self.tokens[k].kind != "num":
                return False
            k += 1
        return self.tokens[k].text == ")"

    def _parameters_subscript_ahead(self) -> bool:
        """_{W,b}: a subscript of the notation's weight and bias names only (UFLDL's hypothesis h_{W,b}(x))."""
        words = self.notation.words
        if self.peek().text != "{":
            return False
        k, names = self.k + 2, 0
        while self.tokens[k].kind == "name" and words.get(self.tokens[k].text) in ("W", "b"):
            names, k = names + 1, k + 1
            if self.tokens[k].text == ",":
                k += 1
        return names > 0 and self.tokens[k].text == "}"

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
            elif self.at("op", "^") and self.peek().text in ("T", "top", "intercal"):     # A^{[l-1]^T}
                self.take()
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
        bracketed = self.tok.text if self.at("op", "(", "[") else ""
        if bracketed:
            self.take()
        if self.at("name") and len(self.tok.text) == 2 and self.tok.text[1] == "T" and self.tok.text[0].isalpha():
            t = self.tok                                   # W^{lT}: the layer, then the transpose
            self.tokens[self.k:self.k + 1] = [Token("name", t.text[0], t.pos, t.glued), Token("name", "T", t.pos + 1)]
        if self.at("num"):
            layer = Layer(None, self.whole("a layer"))
        elif self.at("name") and len(self.tok.text) == 1 and self.tok.text != "T":
            letter = self.take().text                       # l, or the book's own letter (k): any layer
            output = letter in ("L", self.notation.tex.output)  # the output layer: L, or Goodfellow's l
            if not output:
                self.layer_letters.add(letter)
                if len(self.layer_letters) > 1:
                    self.k -= 1
                    self.fail(f"one letter for the layer per claim ({self.notation.tex.output} is the output layer)")
            layer = Layer("L" if output else "l")
        else:
            self.fail("expected a layer: a number, l or L, as in W^{l+1} or W2")
        while self.at("op", "+", "-") and self.peek().kind == "num":
            sign = 1 if self.take().text == "+" else -1
            layer = Layer(layer.base, layer.offset + sign * self.whole("a layer's offset"))
        if bracketed:
            closer = {"(": ")", "[": "]"}[bracketed]
            self.expect("op", closer, f"{closer!r} after the layer")
        return layer

    def subscript(self, ref: Ref) -> Ref:
        """_{ij}, _{i,j}, _{p;i}, _i, _{:,1:} (θ's weight columns), _{l+1} for a size s_{l+1}."""
        if ref.kind == "layers":                     # UFLDL's n_l: the subscript is part of its name
            braced = self.at("op", "{")
            if braced:
                self.take()
            if not self.at("name", "l"):
                self.fail(f"{ref.name}_l is the number of layers: its subscript is l")
            self.take()
            if braced:
                self.expect("op", "}", "'}' after n_l")
            return ref
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
        items: list
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
        implicit = (ref.kind in ("Z", "A", "X", "Y", "delta") and not self.notation.tex.per_sample and sample is None
                    and len(items) == need - 1 and not any(isinstance(it, tuple) for it in items))
        if implicit:                              # z^l_j: one example's quantity, its sample implicit (as at batch 1)
            need -= 1
        if (self.notation.tex.per_sample and ref.kind in ("Z", "A", "X", "Y", "delta") and sample is None
                and len(items) == need + 1 and items[0] == self.notation.letters[3]):
            sample, items = items[0], items[1:]         # Bishop's y_{nk}, t_{nk}: example n first, then the unit
        digits = [it for it in items if isinstance(it, tuple)]
        if digits and len(items) == 1 and len(digits[0][1]) == need:       # W_{21}: two one-digit indices
            items = [int(ch) for ch in digits[0][1]]
        items = [int(it[1]) if isinstance(it, tuple) else it for it in items]
        if (ref.kind == "W" and (self.notation.bias_column or self.notation.bias_zero) and len(items) == 2
                and items[1] == 0):
            ref, items = replace(ref, kind="b"), items[:1]          # θ_{p,0}: the bias column; Bishop's w_{j0}
        elif need == 0:
            self.fail(f"{ref.name} takes no indices")
        elif len(items) != need:
            if self.tokens[self.k - 1].kind != "end":
                self.k -= 1
            self.fail(f"{ref.name} takes {need} ind{'ex' if need == 1 else 'ices'}"
                      + (" (unit, sample)" if need == 2 and ref.kind != "W" else ""))
        if (ref.kind in ("Z", "A", "X", "Y", "delta") and not self.notation.tex.per_sample and sample is None
                and not implicit):
            items, sample = items[:-1], items[-1]       # Z_{ic}; written Z_{i;c}, as the write-ups print it, too
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
                if not self.at("num"):
                    self.fail("expected the lower limit (0 or 1)")
                low = self.whole("the lower limit of a sum")
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
        return SumOver(start, body.end, _layer_sum_var(var, self.layer_letters, self.tokens), low, high, body)


def _layer_sum_var(var: str, layer_letters: set[str], tokens: list[Token]) -> str:
    """A sum over the book's own layer letter (Goodfellow's \\sum_k \\|W^{(k)}\\|^2) is a sum over the layer, l,
    as the letter reads in a layer (every layer letter is l); kept where l is written as well."""
    if var in layer_letters and var != "l" and not any(t.kind == "name" and t.text == "l" for t in tokens):
        return "l"
    return var


def _joined(tokens: list[Token], names: dict) -> list[Token]:
    """A notation's name with underscores (CS231n's hidden_layer) as one name token, not a subscript."""
    out: list[Token] = []
    for t in tokens:
        if (t.kind == "name" and len(out) >= 2 and out[-1].text == "_" and out[-2].kind == "name"
                and f"{out[-2].text}_{t.text}" in names and out[-1].pos == out[-2].pos + len(out[-2].text)
                and t.pos in (out[-1].pos + 1, out[-1].pos + 2)):      # _ or \_
            first = out[-2]
            out[-2:] = [Token("name", f"{first.text}_{t.text}", first.pos, first.glued)]
        else:
            out.append(t)
    return out


def _layer_of(spec: str) -> Layer:
    """A notation's layer for a unit letter: "L", "L-1", "2" (data in Notation.unit_layers)."""
    match = re.fullmatch(r"(L)?([+-]?\d+)?", spec.replace(" ", ""))
    if not match or not spec:
        raise SpecError(f"a unit letter's layer is L, L-1 or a number; got {spec!r}")
    return Layer(match[1], int(match[2] or 0))


def substitute(node: Node, old: Node, new: Node) -> Node:
    """The tree with the node ``old`` (that very node) replaced by ``new``."""
    if node is old:
        return new
    changes: dict[str, Any] = {f.name: substitute(getattr(node, f.name), old, new) for f in fields(node)
                               if isinstance(getattr(node, f.name), Node)}
    return replace(node, **changes) if changes else node


def walk(node: Node):
    """Every node of a syntax tree, root first."""
    yield node
    for f in fields(node):
        child = getattr(node, f.name)
        if isinstance(child, Node):
            yield from walk(child)


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
