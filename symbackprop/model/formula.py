"""An activation from a user's formula in z, read by a small whitelisting parser: never eval.

The grammar is arithmetic in one variable:

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary | unary)*          a juxtaposed factor multiplies: 2z
    unary  := ("+" | "-") unary | power
    power  := atom (("^" | "**") unary)?
    atom   := number | "z" | constant | function "(" expr ("," expr)* ")" | "(" expr ")"

Names are only those in ``FUNCTIONS`` and ``CONSTANTS``; anything else is refused with its
column. The formula must be a function of z that SymPy can differentiate, real and finite with its
derivative everywhere (``check_differentiable``); its derivative is SymPy's.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import sympy as sp

from .errors import SpecError
from .stable import stabilise

Z = sp.Symbol("z", real=True)
MAX_LENGTH, MAX_DEPTH, MAX_EXPONENT = 200, 30, 10
MAX_DIGITS, MAX_POWER, MAX_BITS = 30, 100, 1000   # a number's digits; a power of z; a constant's size
MAX_CALLS = 4             # functions of functions: sigmoid(sigmoid(z)) is 2; SymPy's derivative grows with each

FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "tanh": sp.tanh, "sinh": sp.sinh,
    "cosh": sp.cosh, "sin": sp.sin, "cos": sp.cos, "atan": sp.atan, "arctan": sp.atan, "erf": sp.erf,
    "abs": sp.Abs, "max": sp.Max, "min": sp.Min,
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)), "sigma": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)), "relu": lambda u: sp.Max(u, 0),
}
ARITY = {"max": 2, "min": 2}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
_TOKEN = re.compile(r"\s*(?:(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_]+)"
                    r"|(?P<op>\*\*|[-+*/^(),]))")


class _Parser:
    def __init__(self, text: str):
        self.text, self.k, self.depth, self.calls = text, 0, 0, 0
        self.tokens: list[tuple[str, str, int]] = []
        self.tokens = self._tokens(text)

    def _fail(self, what: str, at: int | None = None) -> SpecError:
        col = at if at is not None else self.tokens[self.k][2] if self.k < len(self.tokens) else len(self.text)
        return SpecError(f"activation formula {self.text!r}: {what} at column {col + 1}; a formula in z uses "
                         f"numbers, + - * / ^, parentheses, and {', '.join(sorted({*FUNCTIONS, *CONSTANTS}))}")

    def _tokens(self, text: str) -> list[tuple[str, str, int]]:
        out, pos = [], 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            mo = _TOKEN.match(text, pos)
            if not mo:
                raise self._fail(f"unexpected {text[pos]!r}", pos)
            kind = mo.lastgroup or ""
            out.append((kind, mo.group(kind), mo.start(kind)))
            pos = mo.end()
        return out

    def peek(self) -> str | None:
        return self.tokens[self.k][1] if self.k < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str, int]:
        if self.k >= len(self.tokens):
            raise self._fail(f"expected {expected or 'more'}, the formula ends")
        token = self.tokens[self.k]
        if expected is not None and token[1] != expected:
            raise self._fail(f"expected {expected!r}, found {token[1]!r}")
        self.k += 1
        return token

    def parse(self) -> sp.Expr:
        out = self.expr()
        if self.peek() is not None:
            raise self._fail(f"unexpected {self.peek()!r}")
        return out

    def expr(self) -> sp.Expr:
        out = self.term()
        while self.peek() in ("+", "-"):
            out = out + self.term() if self.take()[1] == "+" else out - self.term()
        return out

    def term(self) -> sp.Expr:
        out = self.unary()
        while self.peek() is not None and self.peek() not in ("+", "-", ")", ","):
            op = self.peek()
            if op in ("*", "/"):
                self.take()
                right = self.unary()
                out = out * right if op == "*" else out / right
            else:
                out = out * self.unary()
        return out

    def unary(self) -> sp.Expr:
        if self.peek() in ("+", "-"):
            sign = self.take()[1]
            with self.nested():
                inner = self.unary()
            return inner if sign == "+" else -inner
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.peek() in ("^", "**"):
            self.take()
            with self.nested():
                exponent = self.unary()
            if not (exponent.is_Rational and abs(exponent) <= MAX_EXPONENT):
                raise self._fail(f"an exponent must be a number of size at most {MAX_EXPONENT}")
            return self._bounded(base, exponent)
        return base

    def _bounded(self, base: sp.Expr, exponent: sp.Rational) -> sp.Expr:
        """base**exponent, refused before it is built when nesting makes it huge: (((z^10)^10)^10) is
        z^1000, and ((10^10)^10)^10 has 1001 digits."""
        if base.is_Rational:
            bits = max(abs(base.p).bit_length(), base.q.bit_length()) * abs(exponent)
            if bits > MAX_BITS:
                raise self._fail(f"a number in the formula would have more than {MAX_BITS} bits")
        out = base**exponent
        powers = [abs(p.exp) for p in sp.preorder_traversal(out) if isinstance(p, sp.Pow) and p.exp.is_Rational]
        if max(powers, default=0) > MAX_POWER:
            raise self._fail(f"a power in the formula would exceed {MAX_POWER}")
        return out

    def nested(self) -> _Parser:
        return self

    def __enter__(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._fail(f"nested too deeply (at most {MAX_DEPTH})")

    def __exit__(self, *exc) -> None:
        self.depth -= 1

    def atom(self) -> sp.Expr:
        if self.peek() is None:
            raise self._fail("expected a number, z, a function or (, the formula ends")
        kind, text, col = self.take()
        if kind == "number":
            mantissa, _, exponent = text.lower().partition("e")
            if sum(c.isdigit() for c in mantissa) > MAX_DIGITS or len(exponent.lstrip("+-")) > 2:
                raise self._fail(f"a number has at most {MAX_DIGITS} digits and an exponent of at most 99", col)
            return sp.Rational(text)
        if text == "(":
            with self.nested():
                inner = self.expr()
            self.take(")")
            return inner
        if kind != "name":
            raise self._fail(f"unexpected {text!r}", col)
        if text == "z":
            return Z
        if text in CONSTANTS:
            return CONSTANTS[text]
        if text not in FUNCTIONS:
            raise self._fail(f"unknown name {text!r}", col)
        self.take("(")
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise self._fail(f"functions nested more than {MAX_CALLS} deep", col)
        with self.nested():
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
        self.calls -= 1
        self.take(")")
        if len(args) != ARITY.get(text, 1):
            raise self._fail(f"{text} takes {ARITY.get(text, 1)} argument(s), got {len(args)}", col)
        return FUNCTIONS[text](*args)


def parse(text: str) -> sp.Expr:
    """The formula as a SymPy expression in ``Z``; SpecError (one line, with the column) if not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"an activation formula is a non-empty string in z; got {text!r}")
    if len(text) > MAX_LENGTH or any(not (c.isprintable() and c.isascii()) for c in text):
        raise SpecError(f"an activation formula is printable ASCII of at most {MAX_LENGTH} characters")
    return _Parser(text).parse()


# Where a formula must be a real, finite number in float64, with its derivative (the NumPy side
# evaluates it there), and the wider range searched for poles and kinks.
NEAR = np.linspace(-10.0, 10.0, 2001)
WIDE = np.concatenate([-np.logspace(3, 1, 400), np.linspace(-10.0, 10.0, 4001), np.logspace(1, 3, 400)])
MAX_KINKS = 100


def _numeric(expr: sp.Expr) -> Callable[[np.ndarray], np.ndarray]:
    """expr as a NumPy function of z. expr was built by the parser from whitelisted names, so the code
    lambdify writes holds no user text."""
    f = sp.lambdify(Z, expr, modules=[{"erf": np.vectorize(math.erf, otypes=[float])}, "numpy"])

    def values(z: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            try:
                return np.broadcast_to(np.asarray(f(z), dtype=complex), z.shape)
            except (TypeError, ValueError, OverflowError, ZeroDivisionError):   # a constant beyond float64
                return np.full(z.shape, np.nan, dtype=complex)
    return values


def _zeros(u: sp.Expr) -> list[float]:
    """Real zeros of u in z: exactly for a polynomial, else the sign changes of u over ``WIDE``
    refined by bisection (so a zero where u touches 0 without crossing is found only on the grid)."""
    if u.is_polynomial(Z) and sp.degree(u, Z) <= MAX_POWER:
        return [float(r) for r in sp.Poly(u, Z).real_roots()] if sp.degree(u, Z) > 0 else []
    f = _numeric(u)
    v = f(WIDE).real
    crossings = np.flatnonzero(np.sign(v[:-1]) * np.sign(v[1:]) < 0)
    crossings = crossings[np.argsort(np.abs(WIDE[crossings]), kind="stable")][:MAX_KINKS]
    lo, hi, sign = WIDE[crossings], WIDE[crossings + 1], np.sign(v[crossings])
    for _ in range(60):                                   # bisection, all crossings at once
        mid = (lo + hi) / 2
        same = np.sign(f(mid).real) == sign
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    return [float(z) for z in (*WIDE[v == 0], *(lo + hi) / 2)]


def check_differentiable(text: str, expr: sp.Expr) -> sp.Expr:
    """expr's derivative in z, refusing a formula that is not a real differentiable function of z
    everywhere: undefined (log(z + 3) below −3), a pole (1/(z − 1)), a derivative that does not exist
    (sqrt(abs(z)) at 0), or not finite in float64 for |z| ≤ 10 (exp(exp(exp(z)))). The cost is bounded:
    float64 on a fixed grid, exact roots only for polynomials of bounded degree."""
    if Z not in expr.free_symbols:
        raise SpecError(f"activation formula {text!r} does not depend on z; an activation is a function of z")
    derivative = sp.diff(expr, Z)
    if derivative.has(sp.Derivative, sp.Subs):
        raise SpecError(f"activation formula {text!r}: SymPy cannot differentiate it in z")
    refuse = f"activation formula {text!r} is not a real differentiable function of z everywhere"
    for what, e in (("value", expr), ("derivative", derivative)):
        v = _numeric(e)(NEAR)
        bad = ~np.isfinite(v) | (np.abs(v.imag) > 1e-9 * (1 + np.abs(v.real)))
        if bad.any():
            raise SpecError(f"{refuse}: its {what} at z = {NEAR[bad][0]:.4g} is not a real number finite in "
                            f"float64 (an activation must be, for |z| <= 10)")
    for p in (*expr.atoms(sp.Pow), *derivative.atoms(sp.Pow), *expr.atoms(sp.log)):
        base = p.args[0]
        negative = isinstance(p, sp.log) or (p.exp.is_negative and base.has(Z))
        poles = _zeros(base) if negative and base.has(Z) else []
        if poles:
            raise SpecError(f"{refuse}: it has a pole or is undefined at z = {poles[0]:.4g}")
    return derivative


def _kinks(expr: sp.Expr) -> tuple[float, ...]:
    """Real points where a Max, Min, Abs, Heaviside or sign in expr turns: every pair of a Max's or a
    Min's arguments, any argument (abs(sin z) turns at every kπ; those within |z| <= 1000, at most
    ``MAX_KINKS``)."""
    turns: set[float] = set()
    for atom in expr.atoms(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign):
        args = atom.args if isinstance(atom, (sp.Max, sp.Min)) else (atom.args[0], sp.Integer(0))
        for i, u in enumerate(args):
            for v in args[i + 1:]:
                turns.update(round(k, 12) for k in _zeros(u - v))
    return tuple(sorted(sorted(turns, key=abs)[:MAX_KINKS]))


def read(text: str) -> tuple[sp.Expr, sp.Expr, tuple[float, ...], bool]:
    """A formula in z read and checked: (its expression in ``Z``, an equal stable form, its kinks,
    whether it is analytic). ``Activation.from_formula`` builds the entry from these."""
    expr = parse(text)
    check_differentiable(text, expr)
    smooth = not expr.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign)
    return expr, stabilise(expr), _kinks(expr), smooth
