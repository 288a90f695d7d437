"""A network as a sequence of layers: ``"input:2, dense:3, tanh, dense:1, sigmoid"``.

Each layer kind is one entry in ``kinds.KINDS`` (a module of model/kinds/, its interface in
kinds/base.py): ``dense:n``, ``batchnorm``, ``softmax``, ``log_softmax``, ``dropout:p``, ``add:k``; and
every activation of the table (``relu``, ``leaky_relu(0.2)``, a formula in z such as ``z*sigmoid(z)``) is
a layer too. ``input:n`` gives the input width, once, first.

A sequence of dense layers each followed by at most one activation is the long form of
``Network(sizes, activations)`` and goes to the dense engine: ``--sizes 2,3,1 --activation tanh,sigmoid``
is ``--layers "input:2, dense:3, tanh, dense:1, sigmoid"``; a dense layer with no activation after it is
linear (``identity``). A sequence with any other kind is a ``Stack``, which the layer graph
(symbolic/graph.py) derives. An unknown kind is refused with one line naming the kinds there are, never
approximated by another.

A network file is TOML with the same sequence, ``layers = ["input:2", "dense:3", "tanh", …]``, and
the network's other fields: ``loss``, ``batch``, ``weight_decay``, ``relu_at_zero``.
"""
from __future__ import annotations

import numbers
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sympy as sp

from .activations import ACTIVATIONS, Activation, activation, allowed
from .errors import SpecError
from .files import read_text
from .kinds import KINDS, Layer, elementwise
from .kinds.base import whole
from .losses import Loss
from .losses import loss as loss_entry
from .spec import LIMITS, Network

MAX_BYTES = 16_000


def split_top_level(text: str) -> list[str]:
    """Split at commas outside brackets: "max(z, 0.1*z), tanh" -> ["max(z, 0.1*z)", "tanh"]."""
    parts, depth, start = [], 0, 0
    for k, char in enumerate(text):
        depth += {"(": 1, ")": -1, "[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:k].strip())
            start = k + 1
    parts.append(text[start:].strip())
    return parts


@dataclass(frozen=True)
class Stack:
    """A network as a stack of layer kinds (``kinds.Layer``), beyond the dense short form.

    Node 0 is the input (``input`` rows × m samples), node k the output of ``layers[k-1]``; E is the loss
    on the last node, summed over its components and divided by m.
    """

    input: int
    layers: tuple[Layer, ...]
    loss: Loss
    batch: int = 2
    relu_at_zero: sp.Rational = sp.Integer(0)

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.input, *(layer.width for layer in self.layers))

    @property
    def depth(self) -> int:
        return len(self.layers)

    def sources(self, k: int) -> tuple[int, ...]:
        """The nodes layer k (1-based) reads."""
        return tuple(k - back for back in self.layers[k - 1].inputs)

    def parameter_shapes(self) -> dict[str, tuple[int, int]]:
        """Every parameter by its name, ``gamma1``, ``W3``: the local name and the layer's position."""
        return {f"{name}{k}": shape for k, layer in enumerate(self.layers, 1) for name, shape in layer.parameters}

    def data_shapes(self, m: int) -> dict[str, tuple[int, int]]:
        return {f"{name}{k}": (rows, m if cols is None else cols)
                for k, layer in enumerate(self.layers, 1) for name, (rows, cols) in layer.data}

    @property
    def parameter_count(self) -> int:
        return sum(r * c for r, c in self.parameter_shapes().values())

    def describe(self) -> str:
        return (f"layers input:{self.input}, {', '.join(layer.label for layer in self.layers)}; loss "
                f"{self.loss.name}, batch {self.batch}")


def _kinds() -> str:
    return (f"the kinds: input:n (the input width), "
            f"{', '.join(f'{n}:x ({e.argument})' if e.argument else n for n, e in KINDS.items())}, and an "
            f"activation ({allowed()})")


def _layer(text: str, widths: tuple[int, ...], position: int) -> Layer:
    kind, colon, argument = text.partition(":")
    kind = kind.strip()
    if kind in KINDS:
        return KINDS[kind].build(argument.strip(), widths)
    if colon:
        raise SpecError(f"unknown layer kind {kind!r}; {_kinds()}")
    if re.fullmatch(r"[A-Za-z_]\w*", text) and text not in ACTIVATIONS and text != "z":
        raise SpecError(f"unknown layer kind or activation {text!r}; {_kinds()}")
    return elementwise(activation(text), widths, position)


def _items(layers: str | Sequence[str]) -> list[str]:
    items = split_top_level(layers) if isinstance(layers, str) else list(layers)
    if (not items or len(items) > 2 * LIMITS["layers"] + 1 or not all(isinstance(t, str) for t in items)
            or not all(t.strip() for t in items)):
        raise SpecError(f"layers is a sequence such as \"input:2, dense:3, tanh, dense:1, sigmoid\" of at most "
                        f"{2 * LIMITS['layers'] + 1} entries, none empty")
    return [t.strip() for t in items]


def parse_layers(layers: str | Sequence[str]) -> tuple[int, tuple[Layer, ...]]:
    """(input width, the layers) from a layer sequence; SpecError (one line) if it is not one."""
    items = _items(layers)
    kind, colon, argument = items[0].partition(":")
    if kind.strip() != "input" or not colon:
        raise SpecError(f"layer entry 1 ({items[0]!r}): a layer sequence starts with input:n, the input width")
    try:
        widths: tuple[int, ...] = (whole("input", argument.strip()),)
    except SpecError as error:
        raise SpecError(f"layer entry 1 ({items[0]!r}): {error}") from None
    built: list[Layer] = []
    for k, text in enumerate(items[1:], 2):
        try:
            if text.partition(":")[0].strip() == "input":
                raise SpecError("input:n comes once, first")
            layer = _layer(text, widths, k - 1)
        except SpecError as error:
            raise SpecError(f"layer entry {k} ({text!r}): {error}") from None
        built.append(layer)
        widths = (*widths, layer.width)
    if not built:
        raise SpecError("layers: an input:n and at least one dense:n")
    if _dense_only(built):             # the dense short form: one activation after each dense layer
        for k, (before, layer) in enumerate(zip((None, *built), built, strict=False), 2):
            if layer.activation is None:
                continue
            if before is None:
                raise SpecError(f"layer entry {k} ({items[k - 1]!r}): {layer.label}: an activation follows a dense "
                                f"layer (or another layer kind)")
            if before.activation is not None:
                raise SpecError(f"layer entry {k} ({items[k - 1]!r}): {layer.label} right after "
                                f"{before.activation.name}: one activation per dense layer (a composition of two is "
                                f"not a layer kind)")
    if len(built) > 2 * LIMITS["layers"]:
        raise SpecError(f"symbackprop derives for small networks: at most {2 * LIMITS['layers']} layers")
    return widths[0], tuple(built)


def _dense_only(layers: Sequence[Layer]) -> bool:
    return all(layer.kind == KINDS["dense"].name or layer.activation is not None for layer in layers)


def dense_form(width: int, layers: Sequence[Layer]) -> tuple[tuple[int, ...], tuple[Activation, ...]] | None:
    """(sizes, one activation per layer) when the stack is dense layers each with at most one activation after
    it, the short form the dense engine derives; else None."""
    if not _dense_only(layers) or layers[0].activation is not None:
        return None
    sizes: list[int] = [width]
    activations: list[Activation | None] = []
    for layer in layers:
        if layer.activation is None:
            sizes.append(layer.width)
            activations.append(None)
        elif activations[-1] is not None:
            return None
        else:
            activations[-1] = layer.activation
    identity = activation("identity")
    return tuple(sizes), tuple(a or identity for a in activations)


def parse(layers: str | Sequence[str]) -> tuple[tuple[int, ...], tuple[Activation, ...]]:
    """(sizes, one activation per layer) from a dense layer sequence; SpecError (one line) if it is not one,
    or if it holds a kind only the layer graph derives (``network`` gives a ``Stack`` for those)."""
    width, built = parse_layers(layers)
    form = dense_form(width, built)
    if form is None:
        others = sorted({layer.label for layer in built
                         if layer.kind != KINDS["dense"].name and layer.activation is None})
        raise SpecError(f"layers with {', '.join(others) or 'activations in sequence'}: this command derives dense "
                        f"layers with one activation each; verify and gradcheck derive the other kinds")
    return form


def network(layers: str | Sequence[str], **fields: Any) -> Network | Stack:
    """A Network from a dense layer sequence, else a Stack, with the other fields (loss, batch, …)."""
    width, built = parse_layers(layers)
    form = dense_form(width, built)
    if form is not None:
        return Network(sizes=form[0], activations=form[1], **fields)
    return stack(width, built, **fields)


def stack(width: int, built: tuple[Layer, ...], *, loss: Any = "mse", batch: int = 2, weight_decay: Any = 0,
          relu_at_zero: Any = 0) -> Stack:
    """A Stack, its fields checked as Network checks them (one line each)."""
    if weight_decay != 0:
        raise SpecError("weight decay is for the dense short form; a layer stack has none (give weight_decay 0)")
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= LIMITS["batch"]:
        raise SpecError(f"batch must be a whole number of samples m from 1 to {LIMITS['batch']}; got {batch!r}")
    if (isinstance(relu_at_zero, bool) or not isinstance(relu_at_zero, numbers.Real)
            or not 0 <= float(relu_at_zero) <= 1):
        raise SpecError(f"relu_at_zero must be a number in [0, 1] (a subgradient of relu at 0); got {relu_at_zero!r}")
    if relu_at_zero != 0 and all(layer.analytic for layer in built):
        raise SpecError(f"relu_at_zero (H(0), the derivative's value at a kink) only applies to a stack with a kinked "
                        f"layer such as relu or prelu; the layers are {', '.join(layer.label for layer in built)}")
    for k, layer in enumerate(built, 2):
        if layer.refused:
            raise SpecError(f"layer entry {k} ({layer.label!r}): {layer.refused}")
    rule = loss_entry(loss)
    output = built[-1].activation         # the table's entry when the last layer is one of its activations
    if rule.needs_softmax and (output is None or output.elementwise):
        raise SpecError(f"{rule.name} needs a softmax output layer; the last layer is {built[-1].label}")
    if rule.needs_unit_interval and (output is None or not output.in_unit_interval):
        confined = [n for n, a in ACTIVATIONS.items() if a.in_unit_interval]
        raise SpecError(f"{rule.name} needs outputs confined to (0, 1), from {' or '.join(confined)}; the last "
                        f"layer is {built[-1].label}")
    result = Stack(width, built, rule, batch, sp.nsimplify(relu_at_zero))
    _check_limit_parameters(result)
    return result


def _check_limit_parameters(result: Stack) -> None:
    if result.parameter_count > LIMITS["parameters"]:
        raise SpecError(f"symbackprop derives for small networks: at most {LIMITS['parameters']} parameters; "
                        f"this network has {result.parameter_count}")
    if max(result.widths) * result.batch > LIMITS["parameters"]:
        raise SpecError(f"symbackprop derives for small networks: a layer's width times the batch at most "
                        f"{LIMITS['parameters']}")


# The proof's work, as ``work`` counts it, and its seconds on one core: a batch norm over 4 features at m = 8 is
# 86,912 (7 s), over 8 features at m = 12 727,032 (50 s); a recurrent layer of 4 units over 4 steps 96,064 (16 s),
# at m = 4 384,256 (53 s), 5 units 293,710 (38 s); a batch norm at m = 32 is 14.5 million (still running when
# stopped at 40 s). At most about 1.4e-4 s a unit: past the budget (about 80 s at worst) a stack is refused up front.
WORK_BUDGET = 600_000
# Generating NumPy code from the rules differentiates nothing: the same count, about 50 times cheaper (a batch
# norm at m = 32 builds in 20 s).
CODE_BUDGET = 20_000_000


def _matrix(prefix: str, rows: int, cols: int) -> sp.Matrix:
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{prefix}_{i}_{j}", real=True))


def work(stack: Stack, m: int) -> int:
    """The work to prove (or generate code for) every layer's rules at batch m, before any is done: over every
    output component of every layer's forward rule, its size as a tree times the number of symbols it reads
    (each is one local derivative of that size). Counted over the expression's shared nodes once (a recurrent
    layer's tree grows as H^T but is built from T shared steps), so the count itself costs little."""
    memo: dict[int, tuple[int, frozenset]] = {}

    def walk(expr: sp.Basic) -> tuple[int, frozenset]:
        key = id(expr)
        if key not in memo:
            if not expr.args:
                memo[key] = (1, frozenset((expr,)) if expr.is_Symbol else frozenset())
            else:
                parts = [walk(a) for a in expr.args]
                memo[key] = (1 + sum(p[0] for p in parts), frozenset().union(*(p[1] for p in parts)))
        return memo[key]

    total, widths = 0, stack.widths
    for k, layer in enumerate(stack.layers, 1):
        xs = [_matrix(f"x{j}", widths[s], m) for j, s in enumerate(stack.sources(k))]
        values = {name: _matrix(name, r, c) for name, (r, c) in layer.parameters}
        values.update({name: _matrix(name, r, m if c is None else c) for name, (r, c) in layer.data})
        for component in layer.forward(xs, values):
            size, reads = walk(component)
            total += size * len(reads)
    return total


def check_work(stack: Stack, m: int, budget: int = WORK_BUDGET, what: str = "proving") -> None:
    """One line, before any work, when ``what`` this stack at batch m is past ``budget`` (``WORK_BUDGET`` for a
    proof, ``CODE_BUDGET`` for generated code)."""
    needed = work(stack, m)
    if needed > budget:
        raise SpecError(f"symbackprop derives for small networks: {what} this stack at batch {m} needs about "
                        f"{needed:,} units of work, past the budget of {budget:,} (about a minute); use a smaller "
                        f"batch or fewer units")


NETWORK_KEYS = ("layers", "loss", "batch", "weight_decay", "relu_at_zero")


def load(path: str | Path) -> Network | Stack:
    """A Network from a TOML network file: ``layers = [...]`` and the other fields; one line if not."""
    path = Path(path)
    text = read_text(path, "network file", MAX_BYTES)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{path.name}: not a TOML file: {error}") from None
    unknown = set(data) - set(NETWORK_KEYS)
    if unknown:
        raise SpecError(f"{path.name}: unknown key {sorted(unknown)[0]!r}; allowed: {', '.join(NETWORK_KEYS)}")
    if "layers" not in data:
        raise SpecError(f"{path.name}: key 'layers' is missing: layers = [\"input:2\", \"dense:3\", \"tanh\", …]")
    try:
        return network(data.pop("layers"), **data)
    except SpecError as error:
        raise SpecError(f"{path.name}: {error}") from None
