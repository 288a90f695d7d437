"""A course's own notation from a TOML file: the same data as a built-in ``Notation`` entry.

Every top-level key is a field of ``Notation`` and every key of ``[tex]`` a field of ``Glyphs``, with the
type the field has (text, a whole number, true/false, or a table of text for ``[preset]``, ``[words]`` and
``[labels]``); ``name`` is the notation's name, and a key left out takes the value of the notation named by
``base`` (default ``matrix``), so a file says only what its course writes differently::

    name = "course"
    base = "matrix"
    error = "C"
    [tex]
    error = "C"
    [words]
    C = "E"

The file is data, read with ``tomllib`` (never executed). Its LaTeX glyphs go into documents as they are,
so they are held to mathematics: letters, digits, ``^ _ { } ( ) [ ] , ; : ' | + - * / = .`` and spaces,
``@l @L @s`` (the reader's layer, a layer label, the subscript), and backslash commands from
``COMMANDS`` (Greek letters, accents, fonts, ``\\left``/``\\right``): ``\\input`` or ``\\write18`` in a
shared course file would otherwise run in the reader's LaTeX. A bad file is one ``SpecError`` line naming
the key and what is allowed.
"""
from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from .errors import SpecError
from .files import read_text
from .notations import NOTATIONS, Glyphs, Notation

MAX_BYTES = 64_000          # a notation file is a page of data; a larger one is a mistake
MAX_TEXT = 1000             # characters in one value

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
         "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega")
COMMANDS = frozenset((GREEK + " ell nabla partial prime top intercal mathrm mathbf mathit mathsf mathcal "
                      "mathbb boldsymbol bm operatorname hat tilde bar vec dot ddot check breve left right big "
                      "Big bigl bigr cdot circ odot otimes times ast star dagger sum prod log exp text "
                      "quad , ; ! :").split())
_GLYPH = re.compile(r"[A-Za-z0-9^_{}()\[\],;:'|+\-*/=. @]|\\[A-Za-z]+|\\[,;!:]")


def _kind(annotation: Any) -> type:
    """The Python type a field holds, from its annotation (``from __future__`` makes it a string)."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    return {"str": str, "int": int, "bool": bool, "dict": dict}[text.split("[")[0]]


def _check_glyph(where: str, text: str) -> None:
    pos = 0
    while pos < len(text):
        match = _GLYPH.match(text, pos)
        if not match:
            raise SpecError(f"{where}: {text[pos]!r} is not allowed in a glyph; a glyph is LaTeX mathematics: "
                            f"letters, digits, ^ _ {{ }} ( ) [ ] , ; : ' | + - * / = . and commands such as "
                            f"\\delta, \\mathbf, \\left")
        token = match.group()
        if token.startswith("\\") and token[1:] not in COMMANDS:
            raise SpecError(f"{where}: the command {token} is not allowed in a glyph; allowed: Greek letters "
                            f"and {', '.join(sorted(c for c in COMMANDS if c not in GREEK.split() and c.isalpha()))}")
        pos = match.end()
    if text.count("{") != text.count("}"):
        raise SpecError(f"{where}: its braces do not balance: {text!r}")


def _value(where: str, value: Any, kind: type) -> Any:
    if kind is dict:
        if not isinstance(value, dict):
            raise SpecError(f"{where} must be a table of names to values ([{where.rsplit(' ', 1)[-1]}])")
        out = {}
        for key, item in value.items():
            items = item if isinstance(item, list) else [item]
            if not all(isinstance(i, (str, int, bool)) and not (isinstance(i, str) and len(i) > MAX_TEXT)
                       for i in items) or len(items) > 100:
                raise SpecError(f"{where}.{key} must be text, a number, true/false, or a list of them; got {item!r}")
            out[key] = tuple(item) if isinstance(item, list) else item        # a list as the entries hold it
        return out
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise SpecError(f"{where} must be a whole number; got {value!r}")
    if kind is bool and not isinstance(value, bool):
        raise SpecError(f"{where} must be true or false; got {value!r}")
    if kind is str:
        if not isinstance(value, str):
            raise SpecError(f"{where} must be text in quotes; got {value!r}")
        if len(value) > MAX_TEXT or not value.isprintable():
            raise SpecError(f"{where} must be printable text of at most {MAX_TEXT} characters")
    return value


def _fields(cls: type, table: dict, where: str, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    hints = {f.name: f.type for f in dataclasses.fields(cls) if f.name not in skip}
    out = {}
    for key, value in table.items():
        if key not in hints:
            raise SpecError(f"{where}: unknown key {key!r}; allowed: {', '.join(hints)}")
        out[key] = _value(f"{where} key {key!r}", value, _kind(hints[key]))
    return out


def _check_templates(where: str, n: Notation) -> Notation:
    """The name templates take the fields they are given, and the layer offset is one a course uses."""
    for key, sample in (("weight", n.weight), ("bias", n.bias), ("delta", n.delta)):
        try:
            sample.format(l=1, i=1, j=1, c=1)
        except (KeyError, IndexError, ValueError) as error:
            raise SpecError(f"{where} key {key!r}: {sample!r} is a name with {{l}}, {{i}}, {{j}}, {{c}} in braces "
                            f"(the layer, unit, previous unit, sample); {error!r} is not one of them") from None
    if n.layer_offset not in (0, 1):
        raise SpecError(f"{where} key 'layer_offset' must be 0 (the input is layer 0) or 1; got {n.layer_offset}")
    if len(set(n.letters)) != 4 or len(n.letters) != 4 or not n.letters.isalpha():
        raise SpecError(f"{where} key 'letters' must be four different index letters (unit, previous unit, next "
                        f"unit, sample), such as \"ijkc\"; got {n.letters!r}")
    meanings = {v for entry in NOTATIONS.values() for v in entry.words.values()}     # what a claim's name can mean
    for name, meaning in n.words.items():
        if meaning not in meanings:
            raise SpecError(f"{where} [words] key {name!r}: {meaning!r} is not a meaning claims read; allowed: "
                            f"{', '.join(sorted(meanings))}")
    for key, glyph in dataclasses.asdict(n.tex).items():
        if isinstance(glyph, str):
            _check_glyph(f"{where} [tex] key {key!r}", glyph)
    return n


def read(text: str, where: str = "notation file") -> Notation:
    """A Notation from a TOML text; ``SpecError`` (one line) if the data is not one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SpecError(f"{where}: not TOML: {error}") from None
    base_name = data.pop("base", None)
    if base_name is not None and (not isinstance(base_name, str) or base_name not in NOTATIONS):
        raise SpecError(f"{where} key 'base': the notation to start from; allowed: {', '.join(NOTATIONS)}")
    if not isinstance(data.get("name"), str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", data["name"]):
        raise SpecError(f"{where} key 'name' must be the notation's name: lower-case letters, digits, - or _")
    tex = data.pop("tex", {})
    if not isinstance(tex, dict):
        raise SpecError(f"{where}: tex must be a table ([tex]) of glyphs")
    values = _fields(Notation, data, where, skip=("tex",))
    glyph_values = _fields(Glyphs, tex, f"{where} [tex]")
    base = NOTATIONS.get(base_name or "matrix")
    if base is None:                             # a whole notation, read before any other (the built-in ones)
        missing = [f.name for f in dataclasses.fields(Notation) if f.name not in values and f.name != "tex"
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        missing += [f"[tex] {f.name}" for f in dataclasses.fields(Glyphs) if f.name not in glyph_values
                    and f.default is dataclasses.MISSING]
        if missing:
            raise SpecError(f"{where}: key {missing[0]!r} is missing (a notation without a base gives every key)")
        return _check_templates(where, Notation(**values, tex=Glyphs(**glyph_values)))
    entry = dataclasses.replace(base, **values, tex=dataclasses.replace(base.tex, **glyph_values))
    if "seed" not in data:                       # a course's notation has no seed unless it names one
        entry = dataclasses.replace(entry, seed="", labels=values.get("labels", {}))
    return _check_templates(where, entry)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # a JSON string, or an array of them, is TOML's too
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def dump(entry: Notation) -> str:
    """The TOML text of a notation entry, every key written out, no base: ``read(dump(n)) == n``."""
    lines = [f"{f.name} = {_toml(getattr(entry, f.name))}" for f in dataclasses.fields(entry)
             if not isinstance(getattr(entry, f.name), (dict, Glyphs))]
    for table in ("tex", *(f.name for f in dataclasses.fields(entry) if isinstance(getattr(entry, f.name), dict))):
        items = dataclasses.asdict(entry.tex) if table == "tex" else getattr(entry, table)
        lines += ["", f"[{table}]", *(f"{_toml(k) if not re.fullmatch(r'[A-Za-z0-9_-]+', k) else k} = {_toml(v)}"
                                     for k, v in items.items())]
    return "\n".join(lines) + "\n"


def load(path: str | Path) -> Notation:
    """A Notation from a TOML file (at most 64 kB), read and checked; ``SpecError`` (one line) if not."""
    path = Path(path)
    where = path.name
    text = read_text(path, "notation file", MAX_BYTES)
    return read(text, where)
