"""Worked numbers: one forward pass, the back-propagation and one gradient-descent step, in numbers.

Given parameters, data and a learning rate η, the write-up works the network by hand, as a textbook's
worked example does: every unit's Z and A, the error E, every δ, every gradient, the parameters after
one step θ − η ∂E/∂θ and E there; then the chain rule in numbers for one output-layer weight and one
first-layer weight, δ of each hidden layer computed from the next layer's δ as numbers.

The numbers are the derivation's own equations evaluated in float64: the forward definitions (with the
stable forms the NumPy code uses), the boxed δ equations (δ^l written in δ^{l+1}) and the gradient
equations, printed as one NumPy function (``codegen``) and run. The gradients are then compared with
the generated matrix route (``lambdify``), and the tests compare everything with a hand-written
back-propagation and with a published example (Mazur's 2-2-2 network) digit for digit.

    >>> from symbackprop import Network, derive
    >>> d = derive(Network(sizes=(1, 1), activations="identity", loss="mse", batch=1))
    >>> w = compute(d, Inputs(params={"W1": [[2.0]], "b1": [0.5]}, X=[[1.0]], Y=[[2.0]], learning_rate=0.5))
    >>> w.values["E"], w.gradients["W1_1_1"], w.updated["W1_1_1"]
    (0.125, 0.5, 1.75)
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from ..model.errors import SpecError
from ..model.stable import stabilise
from ..numeric import codegen
from ..numeric.arrays import check_data, check_params, random_data, random_params
from ..numeric.lambdify import activation_value, lambdify, loss_term
from ..symbolic.derive import Derivation
from ..symbolic.general import E, Partial, signal_scale
from .printing import LINE_WIDTH, Printer, visible_width

DEFAULT_LEARNING_RATE = 0.5        # Mazur's, so that the published example is the default step
DEFAULT_SEED = 0
SYMBOLIC_DECAY = 0.1               # λ's value when the network's λ is a symbol (as the numeric comparison takes it)
DIGITS = 10                        # significant digits printed: at least 9, as a worked example needs
MAX_ROWS = 48                      # rows of each table shown; past this, the first ones, and the text says so
COLUMNS = 5                        # numbers side by side in one table (samples, or a unit's weights); more make
#                                    another table
CELLS = 4                          # cells "glyph = number" side by side in a row of a table
TRANSPOSED_COLUMNS = 4             # quantities side by side where the samples are rows (a unit's Z and A together)
MAX_TABLES = 3                     # tables of one kind shown side by side (15 samples, 12 quantities); past that, said
MAX_SAMPLES = 2                    # samples whose δ are worked in the chain-rule equations
MAX_UNITS = 4                      # units of a layer whose δ are worked in the chain-rule equations
MAX_SYMBOLS = 24                   # an equation with more quantities than this is shown with its value, not its numbers
CROSS_CHECK = 1e-9                 # |numbers − generated matrix route| allowed, relative to the largest gradient


@dataclass(frozen=True)
class Inputs:
    """What the numbers are worked at: parameters and data (random from ``seed`` where not given), and η."""

    params: Mapping[str, Any] | None = None
    X: Any = None
    Y: Any = None
    seed: int = DEFAULT_SEED
    learning_rate: float = DEFAULT_LEARNING_RATE


@dataclass
class Worked:
    """The numbers, keyed by the derivation's symbol names (``Z1_2_1``, ``delta2_1_1``, ``W1_1_1``), and "E"."""

    d: Derivation
    inputs: Inputs
    given: str                         # where the parameters and data came from, in words
    learning_rate: float
    decay: float | None                # λ's value when the network's λ is a symbol
    values: dict[str, float]           # every Z, A, δ and E
    data: dict[str, float]             # every X and Y
    parameters: dict[str, float]       # every W and b before the step
    gradients: dict[str, float]
    updated: dict[str, float]
    E_after: float
    route_difference: float           # largest |gradient here − generated matrix route|

    @property
    def ok(self) -> bool:
        scale = max(1.0, *(abs(g) for g in self.gradients.values()))
        return self.route_difference <= CROSS_CHECK * scale


def _check_learning_rate(value: Any) -> float:
    try:
        eta = float(value) if not isinstance(value, (bool, str)) else float("nan")
    except (TypeError, ValueError, OverflowError):
        eta = float("nan")
    if not (math.isfinite(eta) and eta > 0):
        raise SpecError(f"the learning rate must be a finite number > 0; got {value!r}")
    return eta


def _arrays(d: Derivation, inputs: Inputs) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, str]:
    """The parameters and data, checked; random ones from the seed where none are given."""
    net = d.net
    if (inputs.X is None) != (inputs.Y is None):
        raise SpecError("give both X and Y (the data), or neither for random data")
    rng = np.random.default_rng(inputs.seed)
    # random ones rounded to two decimals, as a textbook's are: every number below then follows from those printed
    # (review 9 recomputed a 4-8-8-3 from 10 printed digits and lost 3 where terms nearly cancel)
    params = {k: _short(v) for k, v in random_params(net, rng).items()} if inputs.params is None else inputs.params
    X, Y = (_short(a) for a in random_data(net, net.batch, rng)) if inputs.X is None else (inputs.X, inputs.Y)
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    if X.shape[1] != net.batch:
        raise SpecError(f"the data has m = {X.shape[1]} (columns of X); the derivation is for a batch of "
                        f"m = {net.batch}: derive it with --batch {X.shape[1]} (batch={X.shape[1]})")
    random = (inputs.params is None, inputs.X is None)
    given = {(False, False): "the parameters and data given",
             (True, False): f"random parameters (NumPy's generator default_rng({inputs.seed})) and the data given",
             (False, True): f"the parameters given and random data (NumPy's generator default_rng({inputs.seed}))",
             (True, True): f"random parameters and data (NumPy's generator default_rng({inputs.seed}))"}[random]
    if any(random):
        given += ", rounded to two decimals"
    return params, X, Y, given


def _short(a: np.ndarray) -> np.ndarray:
    """Two decimals, and no −0."""
    return np.round(np.asarray(a, dtype=float), 2) + 0.0


def _program(d: Derivation, decay: sp.Symbol | None) -> codegen.Function:
    """The derivation's equations in order as one NumPy function of W, b, X, Y (and λ): every Z, A, E, δ, gradient."""
    fp, closed = d.forward, d.closed
    arguments = [s.name for l in fp.layers for s in (*fp.W[l], *fp.b[l])]
    arguments += [s.name for s in (*fp.X, *fp.Y)] + (["decay"] if decay is not None else [])
    f = codegen.Function("worked", arguments, "Every Z, A, E, δ and gradient of the derivation, in numbers.",
                         names={decay: "decay"} if decay is not None else {})
    for l in fp.layers:
        for z, definition in zip(fp.Z[l], fp.Z_definition(l), strict=True):
            f.assign(z.name, definition)
        for (i, c), a in np.ndenumerate(np.array(fp.A[l].tolist(), dtype=object)):
            f.assign(a.name, activation_value(fp, l, i, c))
    L = d.net.depth
    terms = [loss_term(fp, i, c) for i in range(d.net.sizes[L]) for c in range(d.net.batch)]
    f.assign("E", sp.Add(*terms) / fp.m + fp.decay_term)
    names = [s.name for l in fp.layers for s in (*fp.Z[l], *fp.A[l])] + ["E"]
    for l in reversed(fp.layers):
        for s, equation in zip(closed.delta[l], closed.delta_equations[l], strict=True):
            f.assign(s.name, stabilise(equation))           # erf, log(1 + e^z), 1/(1 + e^z): equal forms NumPy runs
            names.append(s.name)
    for v in fp.parameters.values():
        f.assign("d_" + v.name, stabilise(closed.gradient_equations[v]))
    f.returns = "{" + ", ".join(f"{n!r}: {n}" for n in names) + "}, [" + ", ".join(
        "d_" + v.name for v in fp.parameters.values()) + "]"
    return f


def _run(function, d: Derivation, params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray,
         decay: float | None) -> tuple[dict[str, float], list[float]]:
    fp = d.forward
    args: list[float] = []
    for l in fp.layers:
        args += [float(x) for x in params[f"W{l}"].ravel()] + [float(x) for x in params[f"b{l}"]]
    args += [float(x) for x in X.ravel()] + [float(x) for x in Y.ravel()]
    args += [decay] if decay is not None else []
    with np.errstate(all="ignore"):                         # a value that is not finite is refused below
        values, gradients = function(*args)
    out = {k: float(v) for k, v in values.items()}
    bad = [k for k, v in [*out.items(), *zip(fp.parameters, gradients, strict=True)] if not np.isfinite(float(v))]
    if bad:
        raise SpecError(f"the worked numbers overflow at these parameters and data ({bad[0]} is not finite); "
                        "give smaller values")
    return out, [float(g) for g in gradients]


def check(d: Derivation, inputs: Inputs) -> None:
    """Refuse bad inputs before anything is written: the learning rate, the parameters' and data's shapes."""
    _check_learning_rate(inputs.learning_rate)
    if all(d.net.rule(l).concrete for l in d.forward.layers):
        _arrays(d, inputs)


def compute(d: Derivation, inputs: Inputs | None = None) -> Worked:
    """The worked numbers of ``d`` at ``inputs`` (default: random parameters and data from seed 0, η = 0.5)."""
    inputs = inputs or Inputs()
    eta = _check_learning_rate(inputs.learning_rate)
    if not all(d.net.rule(l).concrete for l in d.forward.layers):
        raise SpecError("a generic activation g has no numeric value, so there are no worked numbers")
    params, X, Y, given = _arrays(d, inputs)
    symbol = d.forward.weight_decay if isinstance(d.net.weight_decay, str) else None
    decay = SYMBOLIC_DECAY if symbol is not None else None
    function = _program(d, symbol)
    compiled = codegen.compile_function(codegen.source(function), function.name)
    values, gradient_list = _run(compiled, d, params, X, Y, decay)
    names = {name: v.name for name, v in d.forward.parameters.items()}
    parameters, gradients, updated_arrays = {}, {}, {k: a.copy() for k, a in params.items()}
    for (name, symbol_name), g in zip(names.items(), gradient_list, strict=True):
        array, index = _entry(name)
        parameters[symbol_name] = float(params[array][index])
        gradients[symbol_name] = g
        updated_arrays[array][index] = params[array][index] - eta * g
    updated = {names[name]: float(updated_arrays[_entry(name)[0]][_entry(name)[1]]) for name in names}
    after, _ = _run(compiled, d, updated_arrays, X, Y, decay)
    route = lambdify(d).gradient(params, X, Y, route="matrix", weight_decay=decay)
    difference = max(abs(float(route[_entry(name)[0]][_entry(name)[1]]) - gradients[names[name]]) for name in names)
    data = {s.name: float(x) for s, x in zip(d.forward.X, X.ravel(), strict=True)}
    data.update({s.name: float(y) for s, y in zip(d.forward.Y, Y.ravel(), strict=True)})
    return Worked(d, inputs, given, eta, decay, values, data, parameters, gradients, updated, after["E"], difference)


def _entry(name: str) -> tuple[str, tuple[int, ...]]:
    """"W1[2,1]" -> ("W1", (1, 0)): the array and 0-based index of a parameter's public name."""
    array, _, rest = name.partition("[")
    return array, tuple(int(k) - 1 for k in rest.rstrip("]").split(","))


# --- printing ----------------------------------------------------------------------------------------


def number(x: float, digits: int = DIGITS) -> str:
    r"""A number as LaTeX maths with ``digits`` significant digits: 1.234e-05 as 1.234 \times 10^{-5}.

    >>> number(0.2983711087600027), number(-1.5e-7), number(0.35), number(-0.0)
    ('0.2983711088', '-1.5 \\times 10^{-7}', '0.35', '0')
    """
    text = f"{x + 0.0:.{digits}g}"          # -0.0 + 0.0 is 0.0: a relu's zero is never printed "-0"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


class _Context:
    """The numbers of one document keyed by the symbols it prints, in the notation's δ (m ∂E/∂Z where the
    notation writes one sample's share, as theta and ufldl do)."""

    def __init__(self, w: Worked, p: Printer):
        self.w, self.p, self.d = w, p, w.d
        fp = w.d.forward
        self.m = w.d.net.batch
        # the notation's own rule for its δ (theta's per-sample δ, Ng's per-example dZ: m ∂E/∂Z), not a copy of it
        self.reader_scale = self.m if signal_scale(p.notation) != 1 and self.m != 1 else 1
        self.reader: dict[sp.Symbol, sp.Expr] = {}
        self.values: dict[sp.Symbol, float] = {}
        for v in fp.parameters.values():
            self.values[v] = w.parameters[v.name]
        for s in (*fp.X, *fp.Y):
            self.values[s] = w.data[s.name]
        for s in fp.definitions:
            self.values[s] = w.values[s.name]
        if w.decay is not None:                  # λ as a symbol: its number in the worked lines, as stated above them
            self.values[fp.weight_decay] = w.decay
        for l in fp.layers:
            for s in w.d.closed.delta[l]:
                if self.reader_scale == 1:
                    self.values[s] = w.values[s.name]
                    continue
                ours = sp.Symbol("reader_" + s.name, real=True)
                self.reader[s] = ours / self.m
                self.values[ours] = w.values[s.name] * self.reader_scale

    def delta(self, s: sp.Symbol) -> str:
        return self.p.latex(self.reader.get(s, s) * self.reader_scale)

    def delta_value(self, s: sp.Symbol) -> float:
        return self.w.values[s.name] * self.reader_scale

    def numeric(self, expr: sp.Expr) -> sp.Expr:
        """expr with each symbol's number in its place, in the order the symbols are printed."""
        expr = expr.xreplace(self.reader)
        return expr.xreplace({s: _Value(s.name, self.values[s]) for s in expr.free_symbols if s in self.values})

    def numeric_lines(self, expr: sp.Expr) -> list[str]:
        """The printed lines of expr in numbers, each product of numbers with a visible ·."""
        return [_dotted(line) for line in self.p.latex_lines(self.numeric(expr))]


class _Value(sp.Symbol):
    """A number standing where a symbol stood: it sorts like the symbol (same name), so a sum or product
    lists its numbers in the order the equation above lists its symbols, and prints as the number."""

    value: float
    text: str

    def __new__(cls, name: str, value: float):
        # never SymPy's cached Symbol: two values under one name (two networks, two documents in one process)
        # would be one object, and an expression cached with it would print the other's number. The value is
        # part of what makes it equal to another, so each number is its own symbol.
        obj = sp.Symbol.__xnew__(cls, name, real=True)
        obj.value, obj.text = value, number(value)
        return obj

    def _hashable_content(self):
        return (*super()._hashable_content(), self.value)

    def __getnewargs_ex__(self):
        return (self.name, self.value), {}

    def _latex(self, printer) -> str:
        return self.text if not self.text.startswith("-") else r"\left(" + self.text + r"\right)"


_JUXTAPOSED = re.compile(r"(\d|\\right\)|\}) (?=\d|\\left\()")


def _dotted(line: str) -> str:
    r"""Numbers side by side are a product: written with \cdot, as 0.5 \cdot 0.25, never "0.5 0.25"."""
    return _JUXTAPOSED.sub(r"\1 \\cdot ", _JUXTAPOSED.sub(r"\1 \\cdot ", line))


def _rows(items: list, limit: int = MAX_ROWS) -> tuple[list, str]:
    """The first ``limit`` items, and a note saying so when some are left out."""
    if len(items) <= limit:
        return items, ""
    return items[:limit], f"the first {limit} of {len(items)} are shown"


def _table(rows: list[dict], header: list[str] | None = None) -> dict:
    """A table: its rows (each a list of cells), its header (none: every cell says what it is), and a note."""
    shown, note = _rows(rows)
    return {"header": header or [], "rows": shown, "note": note}


def _by_index(p: Printer, quantities: list[tuple[sp.Expr, list[float]]], letter: str) -> list[dict]:
    """Quantities as tables with a row for each (its glyph with the index ``letter`` in place of _INDEX) and a
    column for each value of the index, 1, 2, …: a sample (read down a column, one sample's pass; across a row,
    one unit in every sample) or the previous layer's unit (a row is one unit's weights). At most COLUMNS columns
    to a table, so that each fits the page's width; more make another table. A notation with the samples as rows
    (CS231n's) gets the transpose, as its own matrices are: a row for each sample (or unit before), a column for
    each quantity, at most TRANSPOSED_COLUMNS to a table."""
    index = sp.Symbol(letter, integer=True, positive=True)
    count = len(quantities[0][1])
    out = []
    if p.notation.samples_as_rows:
        shown = quantities[:MAX_TABLES * TRANSPOSED_COLUMNS]     # bounded: a wide layer would make a table per 4 units
        for first in range(0, len(shown), TRANSPOSED_COLUMNS):
            chunk = shown[first:first + TRANSPOSED_COLUMNS]
            header = [""] + [p.latex(glyph.subs(_INDEX, index)) for glyph, _ in chunk]
            out.append(_table([{"cells": [f"{p.latex(index)} = {k + 1}"] + [number(values[k]) for _, values in chunk]}
                               for k in range(count)], header))
        return _said(out, len(quantities), len(shown), "quantities")
    for first in range(0, min(count, MAX_TABLES * COLUMNS), COLUMNS):   # bounded: m = 128 would make 26 tables
        columns = range(first, min(count, first + COLUMNS))
        out.append(_table([{"cells": [p.latex(glyph.subs(_INDEX, index))] + [number(values[k]) for k in columns]}
                           for glyph, values in quantities], [""] + [f"{p.latex(index)} = {k + 1}" for k in columns]))
    return _said(out, count, min(count, MAX_TABLES * COLUMNS), f"columns {letter} = 1, …,")


def _said(tables: list[dict], count: int, shown: int, what: str) -> list[dict]:
    """The last table's note also says how many of ``count`` columns are shown, where some are left out."""
    if shown < count:
        last = tables[-1]
        more = f"the first {shown} of {count} {what} are shown" if what == "quantities" else \
            f"{what} {shown} of {count} are shown"
        last["note"] = f"{last['note']}; {more}" if last["note"] else more
    return tables


def _wrapped(cells: list[str]) -> list[dict]:
    """Cells that each say what they are ("b^1_1 = 0.5"), CELLS to a row, so that a row fits the page's width."""
    return [{"cells": cells[k:k + CELLS]} for k in range(0, len(cells), CELLS)]


_INDEX = sp.Symbol("index")      # a quantity's sample or column index before it is printed as the notation's letter


def context(w: Worked, p: Printer, parameter: str) -> dict:
    """Plain strings for numbers.tex.j2 and numbers.md.j2: tables, the chain rule in numbers, the step."""
    c = _Context(w, p)
    d, fp, net = w.d, w.d.forward, w.d.net
    def row(*cells: tuple[str, float]) -> dict:
        return {"cells": [f"{glyph} = {number(value)}" for glyph, value in cells]}

    value = {**w.parameters, **w.data, **w.values}
    W, b, Z, A, Y, delta = (sp.IndexedBase(k) for k in ("W", "b", "Z", "A", "Y", "delta"))
    previous, sample = p.notation.letters[1], p.notation.letters[3]
    weights = [table for l in fp.layers for table in (    # a unit's weights in a row, a column per unit before; biases
        *_by_index(p, [(W[l, i + 1, _INDEX], [value[v.name] for v in fp.W[l][i, :]]) for i in range(net.sizes[l])],
                   previous),
        _table(_wrapped([f"{p.latex(v)} = {number(value[v.name])}" for v in fp.b[l]])))]
    if net.batch > 1:            # a row per quantity, a column per sample
        data = [(A[0, j + 1, _INDEX], fp.X[j, :]) for j in range(net.sizes[0])] + [
            (Y[k + 1, _INDEX], fp.Y[k, :]) for k in range(net.sizes[-1])]
        nodes = [(q[l, i + 1, _INDEX], M[i, :]) for l in fp.layers for i in range(net.sizes[l])
                 for q, M in ((Z, fp.Z[l]), (A, fp.A[l]))]
        inputs = [table for part in (data[:net.sizes[0]], data[net.sizes[0]:])      # the inputs, then the targets
                  for table in _by_index(p, [(glyph, [value[s.name] for s in row_]) for glyph, row_ in part], sample)]
        units = _by_index(p, [(glyph, [value[s.name] for s in row_]) for glyph, row_ in nodes], sample)
        deltas = _by_index(p, [(delta[l, i + 1, _INDEX], [c.delta_value(s) for s in d.closed.delta[l][i, :]])
                               for l in reversed(fp.layers) for i in range(net.sizes[l])], sample)
    else:
        inputs = [_table(_wrapped([f"{p.latex(s)} = {number(value[s.name])}" for s in (*fp.X, *fp.Y)]))]
        units = [_table([row((p.latex(z), value[z.name]), (p.latex(a), value[a.name]))
                         for l in fp.layers for z, a in zip(fp.Z[l], fp.A[l], strict=True)])]
        deltas = [_table([row((c.delta(s), c.delta_value(s))) for l in reversed(fp.layers) for s in d.closed.delta[l]])]
    params = _table([row((p.latex(v), value[v.name]), (p.latex(Partial(E, v)), w.gradients[v.name]),
                         (p.latex(_step(v)), w.updated[v.name])) for v in fp.parameters.values()])
    chosen = _chosen(d, parameter)
    return {"absent": "", "given": w.given, "learning_rate": number(w.learning_rate),
            "decay": None if w.decay is None else number(w.decay), "samples": net.batch,
            "E": number(w.values["E"]), "E_after": number(w.E_after), "lowered": w.E_after < w.values["E"],
            "error": p.glyphs.error, "reader_scale": c.reader_scale,
            "inputs": inputs, "weights": weights, "units": units, "deltas": deltas, "parameters": [params],
            "chains": _chains(c, chosen), "local": _local(c, chosen[-1]), "silent": _silent(c),
            "route_difference": f"{w.route_difference:.1e}", "ok": w.ok}


def _chosen(d: Derivation, parameter: str) -> list[str]:
    """An output-layer weight and a first-layer weight: the worked parameter where it is one, else [1,1]."""
    L = d.net.depth
    layer = d.forward.parameter_rows[parameter][0] if parameter.startswith("W") else None
    output = parameter if layer == L else f"W{L}[1,1]"
    first = parameter if layer == 1 else "W1[1,1]"
    return list(dict.fromkeys([output, first]))


def _equation(c: _Context, lhs: str, expr: sp.Expr, value: float) -> dict:
    """lhs = the equation as the document prints it = the same with numbers = the value."""
    shown = len(expr.free_symbols) <= MAX_SYMBOLS
    return {"lhs": lhs, "symbolic": c.p.latex_lines(expr), "numbers": c.numeric_lines(expr) if shown else [],
            "value": number(value)}


def _chains(c: _Context, names: list[str]) -> list[dict]:
    """The chain of each chosen weight, a δ worked out in an earlier chain not repeated in a later one (the
    first-layer chain begins from the output layer's δ the output-layer chain has just computed)."""
    shown: set = set()
    return [_chain(c, name, shown) for name in names]


def _back(d: Derivation, l: int, i: int, col: int) -> sp.Expr:
    """What comes back to unit i (0-based) of hidden layer l in sample col: Σ_q W^{l+1}_{q,i} δ^{l+1}_{q,col}."""
    fp = d.forward
    return sp.Add(*[fp.W[l + 1][q, i] * d.closed.delta[l + 1][q, col] for q in range(d.net.sizes[l + 1])])


def _slope(d: Derivation, l: int, i: int, col: int) -> sp.Expr:
    """The local derivative g′ of unit i (0-based) of layer l in sample col, in the table's form (A(1 − A))."""
    fp = d.forward
    return fp.table_form(d.net.rule(l).textbook_derivative(fp.Z[l][i, col], fp.A[l][i, col], l))


def _hidden(c: _Context, k: int, row: int, col: int, equation: sp.Expr) -> dict:
    """A hidden δ as the chain rule reads it, what comes back from the next layer times the local derivative,
    (Σ_q W δ) · g′(z) in that order, in symbols and in numbers (SymPy's sorted product, A W δ (1 − A), hides
    the chain); the δ equation as it is where the layer's g is not elementwise."""
    d = c.d
    s, rule = d.closed.delta[k][row, col], d.net.rule(k)
    if not rule.elementwise:
        return _equation(c, c.delta(s), equation, c.delta_value(s))
    back, local = c.reader_scale * _back(d, k, row, col), _slope(d, k, row, col)
    if len(back.free_symbols | local.free_symbols) > MAX_SYMBOLS:
        return _equation(c, c.delta(s), equation, c.delta_value(s))

    return {"lhs": c.delta(s), "symbolic": _product(c.p.latex_lines(back), c.p.latex_lines(local), r"\, "),
            "numbers": _product(c.numeric_lines(back), c.numeric_lines(local), r"\cdot "),
            "value": number(c.delta_value(s))}


def _product(left: list[str], right: list[str], dot: str) -> list[str]:
    """The lines of (left)(right), each factor bracketed where it is a sum: on one line where it fits, else the
    left factor's lines (a bracket open across a line break closed with \\right. and reopened with \\left.),
    then the right factor on a line of its own."""
    if len(left) == 1 and len(right) == 1:
        one = _bracket(left[0]) + " " + dot + _bracket(right[0])
        if visible_width(one) <= LINE_WIDTH:
            return [one]
    if len(left) > 1:
        left = [r"\left(" + left[0] + r"\right."] + [r"\left." + x + r"\right." for x in left[1:-1]] + [
            r"\left." + left[-1] + r"\right)"]
    else:
        left = [_bracket(left[0])]
    return left + [dot + _bracket(" ".join(right))]


def _bracket(tex: str) -> str:
    """A factor of a product, bracketed where it is a sum (a leading minus sign is not one)."""
    depth, body = 0, tex.lstrip("-")
    for k, ch in enumerate(body):
        depth += ch in "({" or body.startswith(r"\left", k)
        depth -= ch in ")}" or body.startswith(r"\right", k)
        if depth == 0 and ch in "+-" and k > 0:
            return r"\left(" + tex + r"\right)"
    return tex


def _chain(c: _Context, name: str, shown: set | None = None) -> dict:
    """∂E/∂W^l_ij from δ^l, each δ from the next layer's δ, back from the output, in numbers; then the step.
    ``shown``: the δ already worked out above, left out here and added to as this chain works out its own."""
    shown = set() if shown is None else shown
    reused = False
    d, fp = c.d, c.d.forward
    v = d.symbol(name)
    l, i = fp.parameter_rows[name]
    L, m = d.net.depth, d.net.batch
    samples = range(min(m, MAX_SAMPLES))
    steps, notes = [], []
    for k in range(L, l - 1, -1):
        rows = [i - 1] if k == l else range(min(d.net.sizes[k], MAX_UNITS))
        if k != l and d.net.sizes[k] > MAX_UNITS:
            notes.append(f"layer {k + c.p.notation.layer_offset}: the first {MAX_UNITS} of {d.net.sizes[k]} units")
        for row in rows:
            for col in samples:
                s = d.closed.delta[k][row, col]
                if s in shown:
                    reused = True
                    continue
                shown.add(s)
                equation = d.closed.delta_equations[k][row, col]
                if c.reader_scale != 1:                  # m δ: the 1/m of one sample's share cancelled, not shown
                    equation = sp.factor_terms(equation * c.reader_scale)
                steps.append(_hidden(c, k, row, col, equation) if k < L else
                             _equation(c, c.delta(s), equation, c.delta_value(s)))
    if m > MAX_SAMPLES:
        notes.append(f"samples 1 to {MAX_SAMPLES} of {m}; the others are in the backward pass's table above")
    gradient = _equation(c, c.p.latex(Partial(E, v)), d.closed.gradient_equations[v], c.w.gradients[v.name])
    step = {"lhs": r"\text{new } " + c.p.latex(v), "symbolic": [c.p.latex(_step(v))],
            "numbers": [number(c.w.parameters[v.name]) + r" - " + number(c.w.learning_rate) + r" \cdot "
                        + _bracketed(c.w.gradients[v.name])], "value": number(c.w.updated[v.name])}
    return {"name": name, "parameter": c.p.latex(v), "layer": l, "output": l == L, "deltas": steps,
            "gradient": gradient, "step": step, "note": "; ".join(notes), "reused": reused}


def _silent(c: _Context) -> list[dict]:
    """Hidden units whose local derivative is 0 in every sample (a relu whose Z is never positive): nothing comes
    back through them, so their incoming weights' gradients are 0 and the step leaves those weights as they
    are, which a reader would otherwise take for a mistake; ``off`` where the unit's output is 0 in every sample
    too, so that the weights out of it have 0 gradients as well (unless weight decay moves them)."""
    d = c.d

    def value(g: sp.Expr) -> float:
        return float(g.xreplace({s: c.w.values[s.name] for s in g.free_symbols}))

    return [{"unit": i + 1, "layer": l + c.p.notation.layer_offset, "z": c.p.latex(d.forward.Z[l][i, 0]).split("_")[0],
             "g": c.p.function(l, True, c.p.latex),
             # a relu's: its output is 0 in every sample too, so the weights out of it have 0 gradients as well
             "off": all(c.w.values[a.name] == 0 for a in d.forward.A[l][i, :])}
            for l in range(1, d.net.depth) if d.net.rule(l).elementwise
            for i in range(d.net.sizes[l]) if all(value(_slope(d, l, i, col)) == 0 for col in range(d.net.batch))]


def _local(c: _Context, name: str) -> dict:
    """One hidden unit's local picture, sample 1: the upstream gradient ∂E/∂A times the local derivative g'(Z)
    gives ∂E/∂Z. The unit is the first-layer chain's; none where it is an output unit or g acts on a column."""
    d, fp = c.d, c.d.forward
    l, i = fp.parameter_rows[name]
    if l == d.net.depth or not d.net.rule(l).elementwise:
        return {}
    z, a = fp.Z[l][i - 1, 0], fp.A[l][i - 1, 0]
    upstream, gprime = _back(d, l, i - 1, 0), _slope(d, l, i - 1, 0)
    values = {s: c.w.values[s.name] for s in upstream.free_symbols if s.name in c.w.values}
    values.update({s: c.w.parameters[s.name] for s in upstream.free_symbols if s.name in c.w.parameters})
    up = float(upstream.xreplace(values))
    local = float(gprime.xreplace({s: c.w.values[s.name] for s in gprime.free_symbols}))
    return {"g": c.p.function(l, False, c.p.latex), "z": c.p.latex(z), "a": c.p.latex(a),
            "z_value": number(c.w.values[z.name]), "a_value": number(c.w.values[a.name]),
            "upstream_lhs": c.p.latex(Partial(E, a)),
            "upstream": c.p.latex_lines(upstream)[0] if len(c.p.latex_lines(upstream)) == 1 else "",
            "upstream_value": number(up), "gprime_lhs": c.p.function(l, True, c.p.latex) + r"\left(" + c.p.latex(z)
            + r"\right)", "gprime": c.p.latex(gprime), "gprime_value": number(local),
            "lhs": c.p.latex(Partial(E, z)), "value": number(up * local), "exact": up * local,
            # where the notation's δ is one sample's (theta's δ, Ng's dZ), the table's entry is m times this
            "signal": c.delta(d.closed.delta[l][i - 1, 0]) if c.reader_scale != 1 else "",
            "signal_value": number(c.delta_value(d.closed.delta[l][i - 1, 0])), "m": c.reader_scale}


ETA = sp.Symbol("eta", positive=True)


def _step(v: sp.Symbol) -> sp.Expr:
    """θ − η ∂E/∂θ, one gradient-descent step."""
    return sp.Add(v, -ETA * Partial(E, v), evaluate=False)


def _bracketed(x: float) -> str:
    return number(x) if x >= 0 else r"\left(" + number(x) + r"\right)"
