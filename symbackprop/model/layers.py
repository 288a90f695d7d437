"""A network as a sequence of layers: ``"input:2, dense:3, tanh, dense:1, sigmoid"``.

Each layer kind is one entry in ``KINDS``: what it is called, what its argument is, and how it adds to
the network being built. Today's kinds are the ones the engine derives: ``input:n`` (the input
width), ``dense:n`` (a fully connected layer of n units) and every activation of the table
(``relu``, ``leaky_relu(0.2)``, a formula in z such as ``z*sigmoid(z)``), each applied to the dense
layer before it; a dense layer with no activation after it is linear (``identity``). The sequence is
the long form of ``Network(sizes, activations)``: ``--sizes 2,3,1 --activation tanh,sigmoid`` is
``--layers "input:2, dense:3, tanh, dense:1, sigmoid"``. A kind the engine does not derive yet (batch
normalisation, convolution, …) is refused with one line naming the kinds there are, never
approximated by another.

A network file is TOML with the same sequence, ``layers = ["input:2", "dense:3", "tanh", …]``, and
the network's other fields: ``loss``, ``batch``, ``weight_decay``, ``relu_at_zero``.
"""
from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .activations import ACTIVATIONS, Activation, activation, allowed
from .errors import SpecError
from .files import read_text
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


@dataclass
class _Building:
    sizes: list[int]
    activations: list[Activation | None]


def _width(kind: str, argument: str) -> int:
    if not re.fullmatch(r"\d{1,6}", argument) or int(argument) < 1:
        raise SpecError(f"{kind}:n takes a whole number of units >= 1; got {kind}:{argument}")
    return int(argument)


def _input(state: _Building, argument: str) -> None:
    if state.sizes:
        raise SpecError("input:n comes once, first")
    state.sizes.append(_width("input", argument))


def _dense(state: _Building, argument: str) -> None:
    if not state.sizes:
        raise SpecError("a layer sequence starts with input:n, the input width")
    state.sizes.append(_width("dense", argument))
    state.activations.append(None)


@dataclass(frozen=True)
class LayerKind:
    """One kind of layer: its name, what its argument is, and how it adds to the network built."""

    name: str
    argument: str                                     # for messages: "n units", "" for none
    add: Callable[[_Building, str], None]


KINDS: dict[str, LayerKind] = {k.name: k for k in (
    LayerKind("input", "the input width", _input),
    LayerKind("dense", "its units", _dense),
)}


def _kinds() -> str:
    return (f"the kinds: {', '.join(f'{n}:n ({e.argument})' for n, e in KINDS.items())}, and an activation "
            f"({allowed()})")


def _activation(state: _Building, text: str) -> None:
    """An activation layer: applied to the dense layer just before it."""
    if re.fullmatch(r"[A-Za-z_]\w*", text) and text not in ACTIVATIONS and text != "z":
        raise SpecError(f"unknown layer kind or activation {text!r}; {_kinds()}")
    if not state.activations:
        raise SpecError(f"{text}: an activation follows a dense layer")
    if state.activations[-1] is not None:
        raise SpecError(f"{text} right after {state.activations[-1].name}: one activation per dense layer (a "
                        f"composition of two is not a layer kind)")
    state.activations[-1] = activation(text)


def parse(layers: str | Sequence[str]) -> tuple[tuple[int, ...], tuple[Activation, ...]]:
    """(sizes, one activation per layer) from a layer sequence; SpecError (one line) if it is not one."""
    items = split_top_level(layers) if isinstance(layers, str) else list(layers)
    if (not items or len(items) > 2 * LIMITS["layers"] + 1 or not all(isinstance(t, str) for t in items)
            or not all(t.strip() for t in items)):
        raise SpecError(f"layers is a sequence such as \"input:2, dense:3, tanh, dense:1, sigmoid\" of at most "
                        f"{2 * LIMITS['layers'] + 1} entries, none empty")
    state = _Building([], [])
    for k, item in enumerate(items, 1):
        text = item.strip()
        kind, colon, argument = text.partition(":")
        try:
            if colon and kind.strip() in KINDS:
                KINDS[kind.strip()].add(state, argument.strip())
            elif colon:
                raise SpecError(f"unknown layer kind {kind.strip()!r}; {_kinds()}")
            else:
                _activation(state, text)
        except SpecError as error:
            raise SpecError(f"layer entry {k} ({text!r}): {error}") from None
    if len(state.sizes) < 2:
        raise SpecError("layers: an input:n and at least one dense:n")
    identity = activation("identity")
    return tuple(state.sizes), tuple(a or identity for a in state.activations)


def network(layers: str | Sequence[str], **fields: Any) -> Network:
    """A Network from a layer sequence and its other fields (loss, batch, weight_decay, relu_at_zero)."""
    sizes, activations = parse(layers)
    return Network(sizes=sizes, activations=activations, **fields)


NETWORK_KEYS = ("layers", "loss", "batch", "weight_decay", "relu_at_zero")


def load(path: str | Path) -> Network:
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
