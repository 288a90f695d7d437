"""Python source from SymPy assignments, printed for NumPy and compiled: the code a user can read.

A ``Function`` is a name, its arguments, a docstring, lines of ``name = expression`` and a
return expression. ``source`` prints it; ``compile_function`` runs that exact text, so what
``print`` shows is what runs. Expressions only ever come from the project's own derivation,
never from user text. Symbols print under the names the caller gives (``Z1_2``, ``A1``);
matrix expressions print with ``@`` and ``.T``; the stable functions of ``stable`` print as
its NumPy helpers.
"""
from __future__ import annotations

import linecache
import textwrap
from dataclasses import dataclass, field
from itertools import count

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from ..model.stable import HELPERS


class NumPyCode(NumPyPrinter):
    """NumPy printing with short names (``np.exp``), ``@`` for products, stable helpers."""

    def __init__(self, names: dict[sp.Basic, str] | None = None):
        super().__init__({"fully_qualified_modules": False, "allow_unknown_functions": False})
        self.names = names or {}

    def _module_format(self, fqn: str, register: bool = True) -> str:
        return "np." + fqn.rsplit(".", 1)[-1] if fqn.startswith("numpy.") else fqn

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self.names.get(expr, expr.name)

    _print_MatrixSymbol = _print_Symbol

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exponent = expr.args
        if exponent.is_Integer and exponent < 0:
            power = base if exponent == -1 else sp.Pow(base, -exponent, evaluate=False)
            return f"1/{self.parenthesize(power, sp.printing.precedence.PRECEDENCE['Mul'] + 1)}"
        return super()._print_Pow(expr, rational=rational)

    def _print_Max(self, expr: sp.Max) -> str:
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"np.maximum({out}, {self._print(a)})"
        return out

    def _print_Min(self, expr: sp.Min) -> str:
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"np.minimum({out}, {self._print(a)})"
        return out

    def _print_Erf(self, expr) -> str:
        return f"_erf({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr: sp.Heaviside) -> str:
        x, at_zero = expr.args if len(expr.args) == 2 else (expr.args[0], sp.S.Half)
        return f"np.heaviside({self._print(x)}, {self._print(at_zero)})"

    def _print_Expit(self, expr) -> str:
        return f"_expit({self._print(expr.args[0])})"

    def _print_Softplus(self, expr) -> str:
        return f"_softplus({self._print(expr.args[0])})"

    def _print_LogSumExp(self, expr) -> str:
        return f"_logsumexp({', '.join(self._print(a) for a in expr.args)})"

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        coefficient, factors = expr.as_coeff_matrices()
        ones = factors[-1] if isinstance(factors[-1], sp.OneMatrix) and factors[-1].cols == 1 else None
        if ones is not None:       # M 1: the sum of M's columns, as a column
            factors = factors[:-1]
        prec = sp.printing.precedence.PRECEDENCE["Mul"]
        body = " @ ".join(self.parenthesize(f, prec) for f in factors)
        if ones is not None:
            body = (body if len(factors) == 1 else f"({body})") + ".sum(axis=1, keepdims=True)"
        return body if coefficient == 1 else f"{self._print(coefficient)}*{body}"

    def _print_HadamardProduct(self, expr) -> str:
        prec = sp.printing.precedence.PRECEDENCE["Mul"]
        return "*".join(self.parenthesize(a, prec) for a in expr.args)

    def _print_Transpose(self, expr) -> str:
        return f"{self.parenthesize(expr.arg, sp.printing.precedence.PRECEDENCE['Atom'], strict=True)}.T"

    def _print_MatAdd(self, expr) -> str:
        return " + ".join(self._print(a) for a in expr.args)


@dataclass(frozen=True)
class Stack:
    """np.stack of one expression per row: a layer's array when its units differ in formula."""

    rows: tuple[sp.Expr, ...]


@dataclass(frozen=True)
class Into:
    """``f(x, out=array)``: a one-argument NumPy function (a ufunc or a helper taking ``out``) writing
    its result into an existing array, which may be x itself, instead of allocating a new one."""

    call: sp.Expr
    out: str


@dataclass(frozen=True)
class Update:
    """``target op= value``: an in-place update of an array the function already owns."""

    op: str
    value: sp.Basic | str


@dataclass
class Function:
    """One generated function: ``lines`` are (target, expression, Stack, Into, Update or already-printed code);
    ``names`` says how symbols print (``Z1_2_1`` as ``Z1_2``, or as ``Z1[1]`` in matrix code)."""

    name: str
    arguments: list[str]
    doc: str
    names: dict[sp.Basic, str] = field(default_factory=dict)
    lines: list[tuple[str, sp.Basic | Stack | str]] = field(default_factory=list)
    returns: str = "None"

    def assign(self, target: str, value: sp.Basic | str) -> str:
        self.lines.append((target, value))
        return target

    def comment(self, text: str) -> None:
        self.lines.append(("#", text))

    def update(self, target: str, op: str, value: sp.Basic | str) -> None:
        self.lines.append((target, Update(op, value)))

    def release(self, names) -> None:
        """``del`` arrays no later line reads, so their memory is reused instead of the heap growing."""
        self.lines.append(("del", ", ".join(names)))


def source(function: Function) -> str:
    """The function's Python text: a def, its docstring, one assignment per line, the return."""
    printer = NumPyCode(function.names)
    body = ['"""' + textwrap.fill(function.doc, 96, subsequent_indent="") + '"""']
    for target, value in function.lines:
        if target == "#":
            body.append(f"# {value}")
        elif target == "del":
            body.append(f"del {value}")
        elif isinstance(value, Update):
            printed = value.value if isinstance(value.value, str) else printer.doprint(value.value)
            body.append(f"{target} {value.op}= {printed}")
        elif isinstance(value, Into):
            call = printer.doprint(value.call)
            body.append(f"{target} = {call[:-1]}, out={value.out})")
        elif isinstance(value, Stack):
            rows = ", ".join(printer.doprint(r) for r in value.rows)
            body.append(f"{target} = np.stack(np.broadcast_arrays({rows}))")
        else:
            body.append(f"{target} = {value if isinstance(value, str) else printer.doprint(value)}")
    body.append(f"return {function.returns}")
    return f"def {function.name}({', '.join(function.arguments)}):\n" + textwrap.indent("\n".join(body), "    ") + "\n"


_counter = count()


def compile_function(text: str, name: str):
    """Run the printed text and return the function it defines; tracebacks show its lines."""
    filename = f"<symbackprop {name} {next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
    namespace: dict = {"np": np, **HELPERS}
    exec(compile(text, filename, "exec"), namespace)      # text printed from the project's own expressions
    return namespace[name]
