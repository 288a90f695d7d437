"""The three notations as data: presentation only, over one canonical model.

A notation says how the reader's course writes the same quantities: symbols, where layer
numbering starts, where the bias lives, and whether 1/m sits inside δ. It never changes the
maths. Each notation is also the preset of its seed: the loss, activation and batch that
seed derives for, so ``preset("theta")`` is the network seed 001 works with.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import SpecError
from .spec import Network

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
    labels: dict = field(default_factory=dict)  # boxed equation -> the number its seed gives it
    per_example_signal: bool = False   # the reader's δ (Ng's dZ) is one example's, m ∂E/∂Z, with samples as columns
    unit_layers: dict = field(default_factory=dict)   # unit letter -> its layer where none is written (Bishop)

    def parameter(self, name: str) -> str:
        """A parameter's name as this notation writes it: W1[2,1] -> θ(1)[2,1] in theta."""
        match = _PARAMETER.match(name)
        if not match:
            raise SpecError(f"not a parameter name: {name!r}; expected W<l>[i,j] or b<l>[i]")
        template = self.weight if match["kind"] == "W" else self.bias
        return template.format(l=int(match["l"]), i=match["i"], j=match["j"])

    def canonical(self, name: str) -> str:
        """A parameter as this notation writes it, back to our name: θ(1)[2,0] -> b1[2]; others unchanged."""
        name = name.replace("theta", "θ").replace(" ", "")
        for kind, template in (("b", self.bias), ("W", self.weight)):   # θ(l)[i,0] is a bias, not a weight
            pattern = re.escape(template).replace(r"\{l\}", r"(?P<l>\d+)").replace(r"\{i\}", r"(?P<i>\d+)")
            match = re.fullmatch(pattern.replace(r"\{j\}", r"(?P<j>\d+)"), name)
            if match:
                j = match.groupdict().get("j")
                return f"{kind}{match['l']}[{match['i']}" + (f",{j}]" if j else "]")
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


NOTATIONS: dict[str, Notation] = {
    n.name: n
    for n in (
        Notation("matrix", "000", "layers 0..L, input A^0 = X, W^l maps l-1 -> l, δ^l = ∂E/∂Z^l with 1/m inside",
                 0, "W{l}[{i},{j}]", "b{l}[{i}]", "δ{l}[{i},{c}]", "E", "δ^l = ∂E/∂Z^l",
                 Glyphs("W^{@l}_{@s}", "b^{@l}_{@s}", "Z^{@l}_{@s}", "A^{@l}_{@s}", "A^{0}_{@s}", "Y_{@s}",
                        r"\delta^{@l}_{@s}", "E", "g^{@l}", "{g^{@l}}'"),
                 "ijkc",
                 preset={"activations": "generic", "loss": "mse", "batch": 2},
                 words={'W': 'W',
                        'b': 'b',
                        'Z': 'Z',
                        'A': 'A',
                        'X': 'X',
                        'Y': 'Y',
                        'delta': 'delta',
                        'E': 'E',
                        'C': 'E',
                        'J': 'E',
                        'L': 'E',
                        'dW': 'd:W',
                        'db': 'd:b',
                        'dZ': 'delta',
                        'dA': 'd:A',
                        'g': 'g',
                        'sigma': 'g',
                        'n': 'size'}),
        Notation("theta", "001", "layers 1..L, the input layer 1 and the output L (seed 001's count), "
                 "θ^(l) = [b^l | W^l] with the bias in column 0, per-sample δ with 1/m outside",
                 1, "θ({l})[{i},{j}]", "θ({l})[{i},0]", "δ{l}[{i}] (sample {c})", "J", "δ^(l+1) = m ∂E/∂Z^l per sample",
                 Glyphs(r"\theta^{(@l)}_{@s}", r"\theta^{(@l)}_{@s,0}", "z^{(@l)}_{@s}",
                        r"h^{(@l)}\left(z^{(@l)}_{@s}\right)", "x_{@s}", "y_{@s}", r"\delta^{(@l)}_{@s}", "J",
                        "h^{(@l)}", r"\Psi^{(@l)}", size="s_{@l}", commas=True, per_sample=True,
                        weight_matrix=r"\theta^{(@l)}_{:,1:}"),   # θ = [b | W]: the weights are columns 1 on
                 "pqki",
                 preset={"activations": "sigmoid", "loss": "bce", "batch": 2},
                 bias_column=True, input_node=True,
                 # (44) and (46) sum over samples from i = 0 in the seed: the boxes are their corrected forms
                 labels={"delta L": "(42)", "delta l": "(43)", "gradient W": "corrected (44)",
                         "gradient b": "corrected (46)"},
                 words={'theta': 'W',
                        'Theta': 'W',
                        'z': 'Z',
                        'a': 'A',
                        'x': 'X',
                        'y': 'Y',
                        'delta': 'delta',
                        'J': 'E',
                        'E': 'E',
                        'L': 'E',
                        'h': 'g',
                        'g': 'g',
                        'sigma': 'g',
                        'Psi': 'gprime',
                        's': 'size',
                        'n': 'size',
                        'I': 'kronecker'}),
        Notation("ufldl", "002", "layers 1..L, a^(1) = x, the output L (seed 002's count), W^(l) maps l -> l+1, "
                 "one sample, errors ε",
                 1, "W({l})[{i},{j}]", "b({l})[{i}]", "ε({l})[{i}]", "J", "ε^(l+1) = ∂J/∂z^(l+1), one sample",
                 Glyphs("W^{(@l)}_{@s}", "b^{(@l)}_{@s}", "z^{(@l)}_{@s}", "a^{(@l)}_{@s}", "x_{@s}", "y_{@s}",
                        r"\varepsilon^{(@l)}_{@s}", "J", r"\sigma@L", r"{\sigma@L}'", size="s_{@l}", per_sample=True,
                        g_other="f@L", gprime_other="{f@L}'"),
                 "ijqc",
                 preset={"activations": "sigmoid", "loss": "mse", "batch": 1},
                 words={'W': 'W',
                        'b': 'b',
                        'z': 'Z',
                        'a': 'A',
                        'x': 'X',
                        'y': 'Y',
                        'epsilon': 'delta',
                        'eps': 'delta',
                        'J': 'E',
                        'E': 'E',
                        'C': 'E',
                        'L': 'E',
                        'sigma': 'g',
                        'f': 'g',
                        'g': 'g',
                        's': 'size',
                        'n': 'size'}),
        Notation("nielsen", "", "Nielsen, Neural Networks and Deep Learning, ch. 2: w^l_{jk} from unit k of layer "
                 "l-1 to unit j of layer l, a^l = σ(z^l), one training example x, C its cost (C = (1/n) Σ_x C_x); "
                 "layers numbered here from 0 at the input, as every equation of the chapter is in l and L",
                 0, "w{l}[{i},{j}]", "b{l}[{i}]", "δ{l}[{i}] (example {c})", "C", "δ^l = ∂C_x/∂z^l, one example",
                 Glyphs("w^{@l}_{@s}", "b^{@l}_{@s}", "z^{@l}_{@s}", "a^{@l}_{@s}", "x_{@s}", "y_{@s}",
                        r"\delta^{@l}_{@s}", "C", r"\sigma@L", r"{\sigma@L}'", per_sample=True),
                 "jkqc",
                 preset={"activations": "sigmoid", "loss": "mse", "batch": 1},
                 words={'w': 'W',
                        'W': 'W',
                        'b': 'b',
                        'z': 'Z',
                        'a': 'A',
                        'x': 'X',
                        'y': 'Y',
                        'delta': 'delta',
                        'C': 'E1',        # ch. 2's C is one example's cost C_x, the x dropped (Nielsen says so)
                        'E': 'E',
                        'sigma': 'g',
                        'n': 'm'}),       # n: the number of training examples
        Notation("ng", "", "Ng's deep learning course: W^{[l]} maps layer l-1 to l, A^{[0]} = X, samples as columns, "
                 "J = (1/m) Σ L, dZ^{[l]} = ∂L/∂Z^{[l]} for each example's column (the 1/m outside, in dW and db)",
                 0, "W{l}[{i},{j}]", "b{l}[{i}]", "dZ{l}[{i},{c}]", "J", "dZ^[l] = m ∂J/∂Z^[l]",
                 Glyphs("W^{[@l]}_{@s}", "b^{[@l]}_{@s}", "Z^{[@l]}_{@s}", "A^{[@l]}_{@s}", "X_{@s}", "Y_{@s}",
                        r"dZ^{[@l]}_{@s}", "J", "g^{[@l]}", "{g^{[@l]}}'"),
                 "ijkc",
                 preset={"activations": "sigmoid", "loss": "bce", "batch": 2},
                 per_example_signal=True,
                 example_words="dz da z a x y",   # C1W3's one-example forms: dz^{[2]} = a^{[2]} - y
                 words={'W': 'W',
                        'b': 'b',
                        'Z': 'Z',
                        'A': 'A',
                        'X': 'X',
                        'Y': 'Y',
                        'z': 'Z',
                        'a': 'A',
                        'x': 'X',
                        'y': 'Y',
                        'dz': 'delta',
                        'da': 'd:A',
                        'dZ': 'delta',
                        'dW': 'd:W',
                        'db': 'd:b',
                        'dA': 'd:A',
                        'J': 'E',
                        'L': 'E1',        # the loss of one example
                        'g': 'g',
                        'sigma': 'g',
                        'n': 'size'}),
        Notation("goodfellow", "", "Goodfellow, Bengio and Courville, Deep Learning, §6.5.4, Algorithms 6.3 and 6.4: "
                 "a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)} the pre-activation, h^{(k)} = f(a^{(k)}), h^{(0)} = x, one "
                 "example, J = L(ŷ, y) + λΩ(θ) with Ω = ½ Σ‖W‖², g the running gradient of the backward pass",
                 0, "W{l}[{i},{j}]", "b{l}[{i}]", "∇a{l}[{i}] (example {c})", "J", "∇_{a^(k)} J, one example",
                 Glyphs("W^{(@l)}_{@s}", "b^{(@l)}_{@s}", "a^{(@l)}_{@s}", "h^{(@l)}_{@s}", "x_{@s}", "y_{@s}",
                        r"g^{(@l)}_{@s}", "J", "f^{(@l)}", "{f^{(@l)}}'", per_sample=True),
                 "ijkc",
                 preset={"activations": "sigmoid", "loss": "mse", "batch": 1, "weight_decay": "lam"},
                 words={'W': 'W',
                        'b': 'b',
                        'a': 'Z',
                        'h': 'A',
                        'x': 'X',
                        'y': 'Y',
                        'J': 'E',
                        'L': 'E1',        # the loss of the one example, without λΩ
                        'f': 'g',
                        'g': 'running',   # Algorithm 6.4's g: the gradient the backward pass carries
                        'Omega': 'Omega',
                        'n': 'size'}),
        Notation("bishop", "", "Bishop, Pattern Recognition and Machine Learning, §5.3: a_j = Σ_i w_ji z_i the "
                 "pre-activation, z_j = h(a_j), δ_j = ∂E_n/∂a_j, one pattern n, E = Σ_n E_n; no layer is written: "
                 "unit k is an output, j a unit of the layer before, i of the layer before that (x_i in a two-layer "
                 "network)",
                 0, "w{l}[{i},{j}]", "b{l}[{i}]", "δ{l}[{i}] (pattern {c})", "E", "δ_j = ∂E_n/∂a_j, one pattern",
                 Glyphs("w^{(@l)}_{@s}", "b^{(@l)}_{@s}", "a^{(@l)}_{@s}", "z^{(@l)}_{@s}", "x_{@s}", "t_{@s}",
                        r"\delta^{(@l)}_{@s}", "E", "h@L", "{h@L}'", size="M^{(@l)}", per_sample=True),
                 "jikn",
                 preset={"activations": ("tanh", "identity"), "loss": "mse", "batch": 1},
                 unit_layers={"k": "L", "j": "L-1", "i": "L-2"},
                 bias_zero=True,      # (5.2)-(5.8): w_{j0} is the bias, its input z_0 = 1
                 words={'w': 'W',
                        'b': 'b',
                        'a': 'Z',
                        'z': 'A',
                        'x': 'X',
                        't': 'Y',
                        'y': 'A:L',       # y_k: the network's output, the activation of the output layer
                        'K': 'size:L',    # K outputs, M hidden units, D inputs (two-layer network)
                        'M': 'size:L-1',
                        'D': 'size:L-2',
                        'delta': 'delta',
                        'E': 'E',
                        'h': 'g',
                        'sigma': 'g'}),
    )
}


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


def canonical_parameter(name: str) -> str:
    """A parameter name in any notation's spelling, as ours: θ(1)[2,0] or b(1)[2] -> b1[2].

    >>> canonical_parameter("theta(1)[2,1]")
    'W1[2,1]'
    """
    for n in NOTATIONS.values():
        name = n.canonical(name)
    return name


def preset(name: str, sizes: tuple[int, ...] = (2, 3, 1), **overrides) -> Network:
    """The network a seed derives for: its loss, activation and batch convention.

    >>> preset("ufldl").batch
    1
    """
    return Network(sizes=sizes, **{**notation(name).preset, **overrides})
