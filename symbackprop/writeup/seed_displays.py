"""Each seed's derivation, display by display: the tables, the translation and the checks.

A seed's table (``seed000``, ``seed001``, ``seed002``, keyed by seed id as ``seeds.SEEDS`` is) lists
every display of the seed in order: its number (the seed's own, or ``[k]`` where the seed numbers
none), its LaTeX as the seed writes it, what it is, and a builder that writes each of its members
in the seed's own symbols (SymPy ``Indexed`` named as the seed names them) for every index the
display ranges over. The builder's expressions are translated into the canonical model of a small
instance network that fits the seed's assumptions, written down to the parameters and data, and
each member is checked against the true value (direct differentiation) by the checker ``verify``
uses. The instance is fixed per seed and checked once per process (cached), so a document of any
size pays for it once; the general equations of the document are proved on the document's own
network.

``D(f, v)`` in a builder is the true partial of f with respect to v: f written down to v's layer
(v a node) or to the parameters (v a parameter), then ``diff``; it never uses the chain rule.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import sympy as sp

from ..model.spec import Network
from ..symbolic.derive import Derivation, Step, derive
from ..symbolic.verify import PROVED, Result, check_step

D = sp.Function("D")                       # D(f, v): the true ∂f/∂v (see the module's docstring)
ERROR = sp.Symbol("ERROR")                 # the seed's E or J
# g(z) and g'(z) of the layer of the node z (an Indexed in the seed's symbols): the network's activation there
ACT, ACT_PRIME = sp.Function("act"), sp.Function("act_prime")


@dataclass(frozen=True)
class Member:
    """One instance of one member of a display: ``claim`` equals ``truth`` (both in the seed's symbols)."""

    name: str
    claim: sp.Expr
    truth: sp.Expr


Builder = Callable[[Any], Iterable[Member]]


@dataclass(frozen=True)
class Display:
    """One display of a seed.

    kind: "definition" (defines a quantity or the network; checked where it can be read on the network),
    "quantity" (names what is sought), "step" (a chain-rule step with its members), "result", "device"
    (a notational device the product does not use, mapped in ``note``) or "slip" (``tex`` is what the
    seed wrote, ``corrected`` the right line, ``counterexample`` builds the counterexample's text).
    """

    number: str
    tex: str
    kind: str
    note: str = ""
    check: Builder | None = None
    corrected: str = ""
    counterexample: Callable[[Any], str] | None = None
    network: str = ""          # a key of the table's NETWORKS: checked there instead of on INSTANCE
    on_document: bool = False  # the counterexample is cheap on any network: shown on the document's own where
    #                            the slip shows there ("" from ``counterexample`` where it does not)


class Translator:
    """Seed symbols -> the canonical quantities of one derivation; a seed table subclasses it."""

    def __init__(self, d: Derivation):
        self.d, self.fp = d, d.forward
        self.L, self.m, self.n = d.net.depth, d.net.batch, d.net.sizes
        self._partials: dict = {}
        self._down: dict = {}
        self._translated: dict = {}

    def entry(self, base: str, *indices: int) -> sp.Expr:
        raise NotImplementedError

    def our_layer(self, node: sp.Indexed) -> int:
        """Our layer number of a seed node z^(l)_i, whose first index is the seed's layer."""
        return int(node.indices[0])

    def translate(self, e: sp.Expr) -> sp.Expr:
        if e not in self._translated:            # a display's members share most of their subexpressions
            self._translated[e] = self._translate(e)
        return self._translated[e]

    def _translate(self, e: sp.Expr) -> sp.Expr:
        if getattr(e, "func", None) in (ACT, ACT_PRIME):
            (node,) = e.args
            l, t = self.our_layer(node), sp.Dummy("t")
            g = self.d.net.rule(l).formula(t, l)
            return (g if e.func == ACT else sp.diff(g, t)).subs(t, self.translate(node))
        if isinstance(e, sp.Indexed):
            return self.entry(e.base.name, *(int(k) for k in e.indices))
        if e == ERROR:
            return self.fp.E
        if getattr(e, "func", None) == D:
            f, v = (self.translate(a) for a in e.args)
            return self.true_partial(f, v)
        if not e.args or isinstance(e, sp.Symbol):
            return e
        return e.func(*[self.translate(a) for a in e.args])

    def true_partial(self, f: sp.Expr, v: sp.Expr) -> sp.Expr:
        key = (f, v)
        if key not in self._partials:
            fp = self.fp
            down = self.down(f, v) if v in fp.definitions else self.down(f, None)
            self._partials[key] = fp.with_conventions(sp.diff(down, v))
        return self._partials[key]

    def down(self, f: sp.Expr, v: sp.Expr | None) -> sp.Expr:
        """f written down to v's layer (None: to the parameters and data), remembered."""
        key = (f, v)
        if key not in self._down:
            fp = self.fp
            self._down[key] = fp.in_terms_of_parameters(f) if v is None else fp.in_terms_of_layer(f, v)
        return self._down[key]

    def full(self, e: sp.Expr) -> sp.Expr:
        """In the seed's symbols -> the network's parameters and data alone."""
        return self.down(self.translate(e), None)

    def check(self, members: Iterable[Member], cache_: dict) -> list[Result]:
        return [check_step(self.d, Step(m.name, self.full(m.truth), self.full(m.claim)), cache=cache_) for m in members]


@dataclass(frozen=True)
class Checked:
    """A display with the results of checking it on the seed's instance network."""

    display: Display
    results: tuple[Result, ...]
    counterexample: str = ""
    network: str = ""          # where it was checked, when not on the instance: "the 2-1 sigmoid network"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def proved(self) -> int:
        return sum(r.status == PROVED for r in self.results)


TABLES = {"000": "seed000", "001": "seed001", "002": "seed002"}     # seed id -> its table's module


def tables() -> dict[str, ModuleType]:
    return {seed: importlib.import_module(f"{__package__}.{module}") for seed, module in TABLES.items()
            if importlib.util.find_spec(f"{__package__}.{module}") is not None}


def instance(seed: str) -> Network:
    """The small network a seed's displays are checked on: the seed's assumptions, depth 3 (every layer kind)."""
    mod = tables()[seed]
    return Network(**mod.INSTANCE)


@cache
def checked(seed: str) -> tuple[Checked, ...]:
    """Every display of a seed, each member checked on the seed's instance network (once per process)."""
    mod = tables()[seed]
    t, out = mod.Seed(derive(instance(seed))), []
    cache_: dict = {}
    numbers = mod.Seed(derive(Network(**mod.NUMBERS)))      # the counterexamples' network: one with values
    others = {key: mod.Seed(derive(Network(**spec))) for key, spec in getattr(mod, "NETWORKS", {}).items()}
    for display in mod.DISPLAYS:
        on = others[display.network] if display.network else t
        results = tuple(on.check(display.check(on), cache_)) if display.check else ()
        text = display.counterexample(numbers) if display.counterexample else ""
        where = f"the {sizes_text(on.d.net)} {on.d.net.activations} network" if display.network else ""
        out.append(Checked(display, results, text, where))
    return tuple(out)


def sizes_text(net: Network) -> str:
    return "-".join(map(str, net.sizes))


def point(d: Derivation) -> dict[sp.Symbol, sp.Rational]:
    """One fixed point: the k-th parameter or datum (sorted by name) is ((k mod 7) − 3)/4."""
    symbols = sorted(d.forward.in_terms_of_parameters(d.forward.E).free_symbols, key=str)
    return {s: sp.Rational(k % 7 - 3, 4) for k, s in enumerate(symbols)}


def point_value(t: Translator, expr: sp.Expr) -> float:
    """A seed expression's value at ``point``, on the translator's network."""
    return float(sp.N(t.full(expr).subs(point(t.d))))
