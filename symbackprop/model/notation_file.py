"""A course's own notation from a TOML file: the same data as a built-in notation's file, over a base.

Every top-level key is a field of ``Notation`` and every key of ``[tex]`` a field of ``Glyphs`` (see
``notation_entry``, which reads and checks them for the built-in files too); ``name`` is the notation's name,
and a key left out takes the value of the notation named by ``base`` (default ``matrix``), so a file says
only what its course writes differently::

    name = "course"
    base = "matrix"
    error = "C"
    [tex]
    error = "C"
    [words]
    C = "E"

The file is data, read with ``tomllib`` (never executed). A bad file is one ``SpecError`` line naming the key
and what is allowed.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import SpecError
from .files import read_text
from .notation_entry import MAX_BYTES, Notation, dump, entry
from .notations import NOTATIONS

__all__ = ["read", "load", "dump", "MAX_BYTES"]


def read(text: str, where: str = "notation file") -> Notation:
    """A Notation from a TOML text; ``SpecError`` (one line) if the data is not one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{where}: not TOML: {error}") from None
    base_name = data.pop("base", None)
    if base_name is not None and (not isinstance(base_name, str) or base_name not in NOTATIONS):
        raise SpecError(f"{where} key 'base': the notation to start from; allowed: {', '.join(NOTATIONS)}")
    return entry(data, where, NOTATIONS.get(base_name or "matrix"))


def load(path: str | Path) -> Notation:
    """A Notation from a TOML file (at most 64 kB), read and checked; ``SpecError`` (one line) if not."""
    path = Path(path)
    return read(read_text(path, "notation file", MAX_BYTES), path.name)
