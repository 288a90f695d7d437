"""The notations, as data: presentation only, over one canonical model.

Each built-in notation is a TOML file in ``builtin_notations/``, read at import by the same loader a
course's own file goes through (``notation_entry.entry``); ``NOTATIONS`` holds them in the order of their
file names, and ``register`` adds one at run time.

A notation says how the reader's course writes the same quantities: symbols, where layer
numbering starts, where the bias lives, and whether 1/m sits inside δ. It never changes the
maths. Each notation is also the preset of its seed: the loss, activation and batch that
seed derives for, so ``preset("theta")`` is the network seed 001 works with.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from .errors import SpecError
from .notation_entry import Glyphs, Notation, entry
from .spec import Network

__all__ = ["Glyphs", "Notation", "NOTATIONS", "BUILT_IN", "built_in", "register", "notation", "canonical_parameter",
           "preset_values", "preset"]

BUILT_IN = Path(__file__).with_name("builtin_notations")
_OURS = re.compile(r"[Wb]\d+\[\d+(,\d+)?\]")


def built_in(folder: Path = BUILT_IN) -> dict[str, Notation]:
    """The notations in a folder of TOML files, in the order of their file names (``10-matrix.toml`` first).

    Each file is a whole notation (every key, no base), read by the loader a course's file goes through
    (``notation_entry.entry``): adding a notation to the package is adding one file here.
    """
    out: dict[str, Notation] = {}
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if data.get("name") in out:
            raise SpecError(f"{path.name}: the notation {data.get('name')!r} is defined twice")
        made = entry(data, path.name)
        out[made.name] = made
    return out


NOTATIONS: dict[str, Notation] = built_in()


def register(entry: Notation) -> Notation:
    """Add a notation (by its name); ``dataclasses.replace`` of a built-in one is the quick way to write one."""
    if not isinstance(entry, Notation):
        raise SpecError(f"register takes a Notation; got {type(entry).__name__}")
    NOTATIONS[entry.name] = entry
    return entry


def notation(name: str) -> Notation:
    try:
        return NOTATIONS[name]
    except KeyError:
        raise SpecError(f"unknown notation {name!r}; allowed: {', '.join(NOTATIONS)}") from None


def canonical_parameter(name: str, first: Notation | None = None) -> str:
    """A parameter name in any notation's spelling, as ours: θ(1)[2,0] or b(1)[2] -> b1[2]. The notation
    ``first`` (the one the reader chose) reads it first: nielsen's w2[1,1] is our W1[1,1], bishop's W2[1,1].

    >>> canonical_parameter("theta(1)[2,1]")
    'W1[2,1]'
    """
    if first is not None and first.canonical(name) != name.replace("theta", "θ").replace(" ", ""):
        return first.canonical(name)
    if _OURS.fullmatch(name.replace(" ", "")):       # W1[2,1], b1[2]: our own spelling, whatever else reads it
        return name.replace(" ", "")
    for n in NOTATIONS.values():                    # the first notation that reads it as its own
        ours = n.canonical(name)
        if _OURS.fullmatch(ours):
            return ours
    return name


def preset(name: str, sizes: tuple[int, ...] | None = None, **overrides) -> Network:
    """The network a seed (or book) derives for: its loss, activation and batch convention, and its widths
    where it has its own (rows: 2-3-3, a softmax needs two outputs), else 2-3-1.

    >>> preset("ufldl").batch, preset("rows").sizes
    (1, (2, 3, 3))
    """
    sizes = tuple(sizes or overrides.pop("sizes", None) or notation(name).preset.get("sizes", (2, 3, 1)))
    return Network(**{**preset_values(name, len(sizes) - 1), "sizes": sizes, **overrides})


def preset_values(name: str, depth: int) -> dict:
    """A notation's preset at ``depth`` layers with weights: a (hidden, output) pair of activations means that
    activation in every hidden layer and the other at the output (rows: relu hidden layers, a softmax output).

    >>> preset_values("rows", 3)["activations"]
    ('relu', 'relu', 'softmax')
    """
    values = dict(notation(name).preset)
    pair = values.get("activations")
    if isinstance(pair, tuple) and len(pair) == 2:
        values["activations"] = (pair[0],) * (depth - 1) + (pair[1],)
    return values
