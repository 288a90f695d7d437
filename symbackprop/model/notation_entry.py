"""A notation entry (``Notation``, its ``Glyphs``) and its form as data: a TOML table read, checked and written.

Every notation, built in or a course's own, is this data: the built-in ones are the TOML files in
``model/builtin_notations/`` (read by ``notations``), a course's is a file read by ``notation_file`` over a
base notation. Both go through ``entry`` here, so what a file can say and how it is checked is one thing.

Every top-level key is a field of ``Notation`` and every key of ``[tex]`` a field of ``Glyphs``, with the type
the field has (text, a whole number, true/false, or a table of text for ``[preset]``, ``[words]`` and
``[labels]``). Its LaTeX glyphs go into documents as they are, so they are held to mathematics: letters,
digits, ``^ _ { } ( ) [ ] , ; : ' | + - * / = .`` and spaces, ``@l @L @s @q @E`` (the reader's layer, a layer label,
the subscript, a whole matrix, the error), and backslash commands from ``COMMANDS`` (Greek letters, accents, fonts,
``\\left``/``\\right``): ``\\input`` or ``\\write18`` in a shared course file would otherwise run in the
reader's LaTeX. A bad table is one ``SpecError`` line naming the key and what is allowed.
"""
from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import SpecError

_PARAMETER = re.compile(r"(?P<kind>[Wb])(?P<l>\d+)\[(?P<i>\d+)(?:,(?P<j>\d+))?\]\Z")
_DELTA = re.compile(r"delta(?P<l>\d+)\[(?P<i>\d+),(?P<c>\d+)\](?P<rest>.*)\Z")


@dataclass(frozen=True)
class Glyphs:
    """How a notation writes each quantity, in LaTeX: ``@l`` is the reader's layer, ``@s`` the subscript.

    Weights and biases keep our layer number (the superscript is the same in all three notations);
    nodes (z, a, δ, g) carry the reader's layer, ours plus the notation's offset. ``per_sample``
    notations write one sample's quantities, the sample index after a semicolon.
    """

    weight: str
    bias: str
    pre: str                 # Z^l
    post: str                # A^l
    data: str                # A^0 = X
    target: str              # Y
    delta: str               # the reader's δ
    error: str               # E or J
    g: str                   # the activation of a layer (@L: "^{(l)}" only where layers differ)
    gprime: str              # its derivative
    size: str = "n^{@l}"     # the number of units in a layer
    weight_matrix: str = ""  # a whole layer's weights, where not the weight glyph without its subscript
    g_other: str = ""        # the activation when not the seed's own (σ is the sigmoid's glyph; another is f)
    gprime_other: str = ""
    gradient: str = ""       # the gradient by a whole matrix @q where not ∂E/∂@q: Ng's d@q, Goodfellow's \nabla_{@q} @E
    rate: str = r"\eta"      # the learning rate (Ng's course: \alpha)
    assign: str = r"\leftarrow"   # an update's assignment (Ng's course: :=)
    layer: str = "l"         # the letter of a general layer (Goodfellow counts layers with k)
    output: str = "L"        # the output layer's number (Goodfellow calls the depth l)
    commas: bool = False     # θ_{p,q}: indices always separated by commas
    per_sample: bool = False


@dataclass(frozen=True)
class Notation:
    name: str
    seed: str
    description: str
    layer_offset: int          # the reader's layer number of our layer 0 (the input)
    weight: str                # how W^l_ij is written; {l} {i} {j} are the reader's numbers
    bias: str                  # how b^l_i is written
    delta: str                 # how δ^l_i (sample c) is written
    error: str                 # E or J
    delta_scale: str           # how the reader's δ relates to ∂E/∂Z
    tex: Glyphs
    letters: str               # the reader's index letters: unit, previous unit, next unit, sample
    preset: dict = field(default_factory=dict)
    words: dict = field(default_factory=dict)   # names a claim may use -> what they mean (W, Z, A, delta, E, g, …;
    #                                             "A:L" a quantity at a fixed layer, "d:W" a partial by name)
    bias_column: bool = False  # the bias is column 0 of the weight matrix (θ = [b | W]): θ_{p,0} is b_p
    example_words: str = ""    # names of one example's quantities, space-separated (Ng's dz, a): a claim using
    #                             one is checked at m = 1
    bias_zero: bool = False    # an indexed weight w_{j0} is the bias b_j (an extra input x_0 = 1), the matrix is W
    input_node: bool = False   # the input layer is a node: z of the input is x, its activation the identity
    labels: dict = field(default_factory=dict)  # boxed equation -> the number its seed (or its book) gives it,
    #                                             in the book's order: the boxed equations are printed in it
    book: str = ""             # whose labels they are where the notation is a textbook's ("Nielsen"): shown as
    #                            "Nielsen's (BP1)" on a network of the book's kind (its preset's loss and output)
    per_example_signal: bool = False   # the reader's δ (Ng's dZ) is one example's, m ∂E/∂Z, with samples as columns
    unit_layers: dict = field(default_factory=dict)   # unit letter -> its layer where none is written (Bishop)
    samples_as_rows: bool = False   # samples as rows, as row-major code writes them (CS231n): every whole matrix
    #                                 is the transpose of ours (X is m×n, W^l is n_{l-1}×n_l, b^l a row), and
    #                                 an entry's indices are the transposed matrix's (Z^l_{c;i}, W^l_{ji})
    weight_offset: int = 0     # the reader's number of our W^l, b^l is l + weight_offset: 0 where a weight is numbered
    #                            by the layer it leaves (theta, ufldl: θ^(1) maps layer 1 to 2) or layers count from
    #                            0; layer_offset where it is numbered by the layer it feeds (Nielsen: w^2 feeds layer 2,
    #                            the input being layer 1)
    error_name: str = "error"  # what the book calls its E in words: Nielsen's C and Ng's J are "the cost"
    source: str = ""           # the text whose notation this is, as a reader would cite it (plain text)
    error_sums_examples: bool = False   # the whole error is the sum of the examples' errors, E = Σ_n E_n (Bishop),
    #                                     m times the network's mean: a claim about E or ∂E/∂θ is read as such
    pre_word: str = "input"    # what the book calls a unit's z in words (Bishop: "activation", its a_j)
    post_word: str = "activation"   # and its g(z) (Bishop: "output", his z_j = h(a_j))
    glossary_of: str = ""      # whose symbols the glossary gives, in words ("Stanford's UFLDL tutorial")
    one_loop: bool = False     # the book's backward pass is one loop down the layers, each layer's gradients and then
    #                            the signal of the layer below (Goodfellow's Algorithm 6.4), not a loop for the
    #                            signals and another for the gradients
    algorithm_note: str = ""   # how the book's own algorithm box differs from the document's, one line of plain text
    #                            under the box ("Nielsen's box stops at the gradients, its step 5"); not inherited
    glossary: dict = field(default_factory=dict)   # their symbol -> this notation's, both LaTeX glyphs (@g: the
    #                                                activation as the document writes it): a reader coming from
    #                                                that text is told once, in the document's §1

    def shift(self, kind: str) -> int:
        """The reader's layer number of our layer l of a quantity of this kind, minus l: weights and biases
        shift by ``weight_offset``, nodes (Z, A, δ, g) by ``layer_offset``."""
        return self.weight_offset if kind in ("W", "b") else self.layer_offset

    def parameter(self, name: str) -> str:
        """A parameter's name as this notation writes it: W1[2,1] -> θ(1)[2,1] in theta."""
        match = _PARAMETER.match(name)
        if not match:
            raise SpecError(f"not a parameter name: {name!r}; expected W<l>[i,j] or b<l>[i]")
        template = self.weight if match["kind"] == "W" else self.bias
        return template.format(l=int(match["l"]) + self.weight_offset, i=match["i"], j=match["j"])

    def canonical(self, name: str) -> str:
        """A parameter as this notation writes it, back to our name: θ(1)[2,0] -> b1[2]; others unchanged."""
        name = name.replace("theta", "θ").replace(" ", "")
        for kind, template in (("b", self.bias), ("W", self.weight)):   # θ(l)[i,0] is a bias, not a weight
            pattern = re.escape(template).replace(r"\{l\}", r"(?P<l>\d+)").replace(r"\{i\}", r"(?P<i>\d+)")
            match = re.fullmatch(pattern.replace(r"\{j\}", r"(?P<j>\d+)"), name)
            if match:
                j = match.groupdict().get("j")
                return f"{kind}{int(match['l']) - self.weight_offset}[{match['i']}" + (f",{j}]" if j else "]")
        return name

    def quantity(self, symbol_name: str) -> str:
        """A model symbol's name as this notation writes it: W1_2_1 -> θ(1)[2,1]; others as they are."""
        kind, *rest = symbol_name.split("_")
        if kind[:1] in "Wb" and kind[1:].isdigit() and len(rest) in (1, 2):
            return self.parameter(f"{kind}[{','.join(rest)}]")
        return symbol_name

    def step(self, name: str) -> str:
        """A step's name in this notation: δ steps and gradients; lemma names as they are."""
        if name.startswith("dE/d") and _PARAMETER.match(name[4:]):
            return f"d{self.error}/d{self.parameter(name[4:])}"
        match = _DELTA.match(name)
        if not match:
            return name
        return self.delta.format(l=int(match["l"]) + self.layer_offset, i=match["i"], c=match["c"]) + match["rest"]



# What a name in a claim can mean: the values a notation's [words] may take. Fixed here, whatever notations are
# loaded and in whatever order, and read by the claims reader (claims/parse.py, claims/reading.py).
MEANINGS: dict[str, str] = {
    "W": "a layer's weights",
    "b": "a layer's biases",
    "Z": "a layer's pre-activations",
    "A": "a layer's activations",
    "X": "the input data (A^0)",
    "Y": "the targets",
    "delta": "the notation's error signal δ (its scale is delta_scale)",
    "E": "the error of the whole batch",
    "E1": "the error of one example (the notation's C_x, L, E_n)",
    "g": "a layer's activation function",
    "gprime": "its derivative",
    "size": "the number of units in a layer",
    "size:L": "the number of output units",
    "layers": "the number of layers counting the input, the output layer's number (UFLDL's n_l)",
    "size:L-1": "the number of units in the layer before the output",
    "size:L-2": "the number of units two layers before the output",
    "A:L": "the output layer's activations (the network's output)",
    "m": "the number of samples",
    "d:W": "the partial of the error by a layer's weights (dW)",
    "d:b": "the partial of the error by a layer's biases (db)",
    "d:A": "the partial of the error by a layer's activations (dA)",
    "running": "the gradient the backward pass carries (Goodfellow's g)",
    "Omega": "the weight-decay term Ω = ½ Σ‖W‖²",
    "kronecker": "the Kronecker delta I(p, q)",
}
# A quantity at a fixed layer, as the reader numbers it (L the output): CS231n's hidden_layer is A:L-1, its dW d:W:1.
_AT_LAYER = re.compile(r"(?:d:)?(?:W|b|Z|A|delta):(?:L(?:-\d)?|\d)")

MAX_BYTES = 64_000          # a notation file is a page of data; a larger one is a mistake
MAX_TEXT = 1000             # characters in one value

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
         "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega")
COMMANDS = frozenset((GREEK + " ell nabla partial prime top intercal leftarrow gets mathrm mathbf mathit mathsf "
                      "mathcal "
                      "mathbb mathtt boldsymbol bm operatorname hat tilde bar vec dot ddot check breve left right big "
                      "Big bigl bigr cdot circ odot otimes times ast star dagger sum prod log exp text "
                      "quad , ; ! : _").split())
_GLYPH = re.compile(r"[A-Za-z0-9^_{}()\[\],;:'|+\-*/=. @]|\\[A-Za-z]+|\\[,;!:_]")


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
    if len(re.findall(r"\\left(?![A-Za-z])", text)) != len(re.findall(r"\\right(?![A-Za-z])", text)):
        raise SpecError(f"{where}: each \\left needs its \\right (LaTeX stops at the first one alone): {text!r}")


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
    if n.weight_offset not in (0, n.layer_offset):
        raise SpecError(f"{where} key 'weight_offset' must be 0 (W^1 maps the input to the next layer) or the "
                        f"layer_offset, {n.layer_offset} (a weight is numbered by the layer it feeds); "
                        f"got {n.weight_offset}")
    if len(set(n.letters)) != 4 or len(n.letters) != 4 or not n.letters.isalpha():
        raise SpecError(f"{where} key 'letters' must be four different index letters (unit, previous unit, next "
                        f"unit, sample), such as \"ijkc\"; got {n.letters!r}")
    if len(n.source) > 200 or not all(c.isprintable() for c in n.source):
        raise SpecError(f"{where} key 'source' must be one line of plain text of at most 200 characters, "
                        f"such as \"Nielsen, Neural Networks and Deep Learning, chapter 2\"")
    if len(n.algorithm_note) > 300 or not all(c.isprintable() for c in n.algorithm_note):
        raise SpecError(f"{where} key 'algorithm_note' must be one line of plain text of at most 300 characters, "
                        f"saying how the book's own algorithm differs from the document's box")
    if len(n.glossary_of) > 200 or not all(c.isprintable() for c in n.glossary_of) or (
            bool(n.glossary) != bool(n.glossary_of)):
        raise SpecError(f"{where} keys 'glossary_of' and [glossary] go together: 'glossary_of' one line of plain "
                        f"text of at most 200 characters, such as \"Stanford's UFLDL tutorial\", naming whose "
                        f"symbols [glossary] maps to this notation's")
    for theirs, ours in n.glossary.items():
        if not isinstance(ours, str):
            raise SpecError(f"{where} [glossary] value of {theirs!r} must be a glyph in quotes; got {ours!r}")
        _check_glyph(f"{where} [glossary] key {theirs!r}", theirs)
        _check_glyph(f"{where} [glossary] value of {theirs!r}", ours)
    for key in ("pre_word", "post_word"):
        if not re.fullmatch(r"[a-z][a-z -]{0,29}", getattr(n, key)):
            raise SpecError(f"{where} key {key!r} must be a word or two in lower case, such as \"input\" or "
                            f"\"activation\"; got {getattr(n, key)!r}")
    if not re.fullmatch(r"[a-z][a-z -]{0,29}", n.error_name):
        raise SpecError(f"{where} key 'error_name' must be a word or two in lower case, such as \"cost\" or "
                        f"\"error\"; got {n.error_name!r}")
    marks = (n.tex.layer, n.tex.output)
    if not all(len(mark) == 1 and mark.isalpha() for mark in marks) or len(set(marks + tuple(n.letters))) != 6:
        raise SpecError(f"{where} [tex] keys 'layer' and 'output' must be two different letters, neither an index "
                        f"letter ({n.letters}), such as \"l\" and \"L\"; got {n.tex.layer!r} and {n.tex.output!r}")
    for name, meaning in n.words.items():
        if meaning not in MEANINGS and not _AT_LAYER.fullmatch(meaning):
            raise SpecError(f"{where} [words] key {name!r}: {meaning!r} is not a meaning claims read; allowed: "
                            f"{', '.join(sorted(MEANINGS))}, or W b Z A delta d:W d:b d:A at a fixed layer, "
                            f"as in A:L-1 or d:W:1")
    for key, glyph in dataclasses.asdict(n.tex).items():
        if isinstance(glyph, str):
            _check_glyph(f"{where} [tex] key {key!r}", glyph)
    return n




def entry(data: dict, where: str, base: Notation | None = None) -> Notation:
    """A Notation from a parsed TOML table (``base`` already looked up by the caller): keys left out
    take ``base``'s values; with no base every key without a default must be given. One-line ``SpecError``."""
    data = dict(data)
    if not isinstance(data.get("name"), str) or not re.fullmatch(r"[a-z][a-z0-9_-]{0,30}", data["name"]):
        raise SpecError(f"{where} key 'name' must be the notation's name: lower-case letters, digits, - or _")
    tex = data.pop("tex", {})
    if not isinstance(tex, dict):
        raise SpecError(f"{where}: tex must be a table ([tex]) of glyphs")
    values = _fields(Notation, data, where, skip=("tex",))
    glyph_values = _fields(Glyphs, tex, f"{where} [tex]")
    if base is None:                             # a whole notation (a built-in one, or a file that gives all)
        missing = [f.name for f in dataclasses.fields(Notation) if f.name not in values and f.name != "tex"
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        missing += [f"[tex] {f.name}" for f in dataclasses.fields(Glyphs) if f.name not in glyph_values
                    and f.default is dataclasses.MISSING]
        if missing:
            raise SpecError(f"{where}: key {missing[0]!r} is missing (a notation without a base gives every key)")
        return _check_templates(where, Notation(**values, tex=Glyphs(**glyph_values)))
    made = dataclasses.replace(base, **values, tex=dataclasses.replace(base.tex, **glyph_values))
    if "seed" not in data:                       # a course's notation has no seed (nor book) unless it names one
        made = dataclasses.replace(made, seed="", labels=values.get("labels", {}), book=values.get("book", ""),
                                   source=values.get("source", ""), glossary_of=values.get("glossary_of", ""),
                                   glossary=values.get("glossary", {}),
                                   algorithm_note=values.get("algorithm_note", ""))
    return _check_templates(where, made)


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
