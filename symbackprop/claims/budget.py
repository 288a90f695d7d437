"""A work budget for checking a claim: what it would cost, bounded before any SymPy work, by what the network needs.

The tokenizer bounds a claim's length and nesting, but not its cost: ``((W1[1,1] + 1)^10 · 1)^10 …`` is short
and expands to a polynomial of degree 10,000, ``sum_{k=1}^{100000000} W1[1,1]`` to a hundred million terms,
``exp(exp(1000000))`` to a number whose digits do not fit in memory. So before a claim is read into SymPy,
its syntax tree is costed with the network's sizes, and a claim over budget is refused with one line naming
the limit and what was asked (``OverBudget``, a ``ClaimSyntaxError``: exit 2 on the command line).

The limits come from what a claim about this network can need:

- a sum runs over at most ``extent`` terms: the widest layer or the batch, whichever is larger;
- written out in full, with every quantity one term and every sum, matrix product and repeated index
  unrolled over ``extent``, a side has at most ``MAX_TERMS`` terms (an upper bound, computed exactly on
  the tree: a product multiplies its factors' terms, a power of a t-term sum has C(t + e − 1, e));
- its degree (quantities multiplied together) is at most ``max_degree(depth)``: 4 per layer and one more
  layer (each layer's chain-rule factor W · g′(Z), or A(1 − A) for a sigmoid, and the loss's A − Y), plus
  the exponent ``MAX_EXPONENT`` the grammar allows;
- numbers, multiplied out, have at most ``MAX_DIGITS`` digits;
- functions (g, g′, exp, log, tanh, …) nest at most ``MAX_NESTED`` deep: a forward pass written out nests
  one g per layer, and each nesting of a generic g's stand-in doubles what a check evaluates;
- one command checks at most ``MAX_CLAIMS`` claims, whose terms together are at most ``MAX_TOTAL_TERMS``;
- ``exp``, ``tanh``, g and g′ are not applied to an expression holding ``exp`` (e^(e^x) has no useful bound and
  no activation or loss needs it; ``log(1 + exp(z))`` is fine), and ``exp`` and ``tanh`` not to numbers of more
  than 6 digits.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import cast

from .parse import (
    MAX_EXPONENT,
    Apply,
    Cases,
    ClaimSyntaxError,
    Compare,
    Error,
    Neg,
    Node,
    Norm,
    Num,
    Op,
    PartialOf,
    Power,
    Ref,
    SumOver,
    Transpose,
    Var,
    walk,
)

MAX_TERMS = 100_000
MAX_NESTED = 6            # functions applied to functions: g(W g(W g(…))) for a few layers, never 12 deep
MAX_DIGITS = 100
MATRICES = {"W", "b", "Z", "A", "X", "Y", "delta", "ones", "running"}
SCALARS = {"m", "lambda", "size", "layers", "kronecker"}
OUTER = {"exp", "tanh", "g", "gprime"}    # may not be applied to an expression holding exp: e^(e^x) has no bound


class OverBudget(ClaimSyntaxError):
    """A claim that would cost more than anything this network can need: one line, the limit and what was given."""


def max_degree(depth: int) -> int:
    return 4 * (depth + 1) + MAX_EXPONENT


@dataclass(frozen=True)
class Cost:
    terms: int        # an upper bound on the terms when written out in full
    degree: int       # quantities multiplied together in one term
    digits: int       # digits of the numbers, multiplied out


class Budget:
    """Costs one syntax tree against one network's sizes: ``extent`` is its widest layer or its batch."""

    def __init__(self, text: str, extent: int, depth: int):
        self.text, self.extent, self.depth = text, extent, depth

    def refuse(self, node: Node, message: str):
        raise OverBudget(message, node.start + 1, self.text)

    def check(self, sides: list[Node]) -> int:
        """The claim's terms, written out, over both sides; OverBudget past the limits."""
        left_letters, total = _letters(sides[0]), 0
        for side in sides:
            cost = self.cost(side)
            repeated = len(_letters(side) - left_letters - _bound(side)) if side is not sides[0] else 0
            terms = cost.terms * self.extent ** repeated       # a letter on the right only is summed
            if terms > MAX_TERMS:
                self.refuse(side, f"too much work: written out, this side has up to {_count(terms)} terms; a claim "
                            f"about this network has at most {MAX_TERMS:,} (every sum and product over at most "
                            f"{self.extent} terms)")
            total += terms
        return total

    def cost(self, node: Node) -> Cost:
        method = getattr(self, "_" + type(node).__name__)
        cost = method(node)
        if cost.terms > MAX_TERMS:              # checked at every node, so that no bound grows without limit
            self.refuse(node, f"too much work: written out, this expression has up to {_count(cost.terms)} terms; a "
                        f"claim about this network has at most {MAX_TERMS:,} (every sum and product over at most "
                        f"{self.extent} terms)")
        if cost.degree > max_degree(self.depth):
            self.refuse(node, f"too much work: this expression has degree up to {_count(cost.degree)} (quantities "
                        f"multiplied together); a claim about a network of {self.depth} layers has at most "
                        f"{max_degree(self.depth)}")
        if cost.digits > MAX_DIGITS:
            self.refuse(node, f"too much work: the numbers here multiply out to about {_count(cost.digits)} digits; "
                        f"a claim has at most {MAX_DIGITS}")
        return cost

    def _Num(self, node: Num) -> Cost:
        value = node.value
        return Cost(1, 0, max(len(str(abs(value.p))), len(str(value.q))))

    def _Ref(self, node: Ref) -> Cost:
        return Cost(1, 0 if node.kind in SCALARS else 1, 0)

    def _PartialOf(self, node: PartialOf) -> Cost:
        return Cost(1, 1, 0)

    def _Error(self, node: Error) -> Cost:
        return Cost(1, 1, 0)

    def _Norm(self, node: Norm) -> Cost:
        """As ‖v‖² = Σ over rows and columns of v's entries squared: a power 2 of it costs nothing more."""
        arg = self.cost(node.arg)
        return Cost(math.comb(arg.terms + 1, 2) * self.extent ** 2, 2 * arg.degree, 2 * arg.digits)

    def _Var(self, node: Var) -> Cost:
        return Cost(1, 1, 0)

    def _Compare(self, node: Compare) -> Cost:
        sides = [self.cost(n) for n in (node.left, node.right) if n is not None]
        return Cost(sum(c.terms for c in sides) or 1, max((c.degree for c in sides), default=0),
                    max((c.digits for c in sides), default=0))

    def _Cases(self, node: Cases) -> Cost:
        rows = [(self.cost(v), self.cost(c)) for v, c in node.rows]
        return Cost(sum(v.terms + c.terms for v, c in rows), max(v.degree for v, _ in rows),
                    max(max(v.digits, c.digits) for v, c in rows))

    def _Neg(self, node: Neg) -> Cost:
        return self.cost(node.arg)

    def _Transpose(self, node: Transpose) -> Cost:
        return self.cost(node.arg)

    def _Op(self, node: Op) -> Cost:
        a, b = self.cost(node.left), self.cost(node.right)
        if node.op in "+-":
            return Cost(a.terms + b.terms, max(a.degree, b.degree), max(a.digits, b.digits) + 1)
        inner = self.extent if node.op == "@" or (node.op == "⋅" and _matrix(node.left) and _matrix(node.right)) else 1
        return Cost(a.terms * b.terms * inner, a.degree + b.degree, a.digits + b.digits)

    def _Power(self, node: Power) -> Cost:
        base, e = self.cost(node.base), abs(int(cast(Num, node.exponent).value))
        if isinstance(node.base, Norm) and e == 2:           # ‖v‖², costed as its sum of squares
            return base
        return Cost(math.comb(base.terms + e - 1, e), base.degree * e, base.digits * e)

    def _Apply(self, node: Apply) -> Cost:
        arg = self.cost(node.arg)
        if _nesting(node) > MAX_NESTED:
            self.refuse(node, f"functions nested {_nesting(node)} deep: a claim nests at most {MAX_NESTED} (a forward "
                        "pass written out nests one g per layer; write A^l for the rest)")
        named = node.function.startswith("named")      # an activation by its name: relu(z), softplus'(z)
        what = _FUNCTION.get(node.function, f"the activation {node.function.split(':')[-1]}")
        if (node.function in OUTER or named) and any(isinstance(n, Apply) and n.function == "exp"
                                                     for n in walk(node.arg)):
            self.refuse(node, f"{what} of an expression holding exp: no activation or loss needs it, and its value "
                        "can have more digits than fit in memory")
        if (node.function in ("exp", "tanh") or named) and arg.digits > 6:
            self.refuse(node, f"{what} of a number of {arg.digits} digits: at most 6 digits here")
        return Cost(1, 1, 0)

    def _SumOver(self, node: SumOver) -> Cost:
        high = self.extent if node.high is None else self.limit(node.high)
        if high > max(self.extent, self.depth + 1):
            self.refuse(node, f"a sum here runs over at most {self.extent} terms (the widest layer or the batch of "
                        f"this network); this one to {_count(high)}")
        body = self.cost(node.body)
        return Cost(max(high - node.low + 1, 1) * body.terms, body.degree, body.digits)

    def limit(self, node: Node) -> int:
        """The largest value a sum's upper limit can take: a whole number, m, a layer's size, or a sum of them."""
        if isinstance(node, Num) and node.value.is_integer:
            return int(node.value)
        if isinstance(node, Ref) and node.kind in ("m", "size"):
            return self.extent
        if isinstance(node, Ref) and node.kind == "layers":
            return self.depth + 1
        if isinstance(node, Op) and node.op in "+-⋅":
            a, b = self.limit(node.left), self.limit(node.right)
            return a + b if node.op == "+" else a if node.op == "-" else a * b
        self.refuse(node, "the upper limit of a sum is a whole number, m or a layer's size (n^l, s_l)")
        raise AssertionError("refuse raises")                       # for the type checker: never reached


_FUNCTION = {"exp": "exp", "tanh": "tanh", "g": "an activation g", "gprime": "an activation's derivative g′"}


def _nesting(node: Node) -> int:
    """How deep function applications nest in node: g(W g(Z)) is 2."""
    children = [v for f in dataclasses.fields(node) for v in _nodes(getattr(node, f.name))] \
        if dataclasses.is_dataclass(node) else []
    return (isinstance(node, Apply)) + max((_nesting(c) for c in children), default=0)


def _nodes(value) -> list[Node]:
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _nodes(item)]
    return [cast(Node, value)] if dataclasses.is_dataclass(value) and not isinstance(value, type) else []


def _matrix(node: Node) -> bool:
    """Could this be a matrix (so that a product with it sums over a dimension)?"""
    return any(isinstance(n, Ref) and n.kind in MATRICES and n.indices is None for n in walk(node))


def _letters(node: Node) -> set[str]:
    return {k for n in walk(node) if isinstance(n, Ref) for k in (*(n.indices or ()), n.sample) if isinstance(k, str)}


def _bound(node: Node) -> set[str]:
    return {n.var for n in walk(node) if isinstance(n, SumOver)}


def _count(value: int) -> str:
    return f"{value:,}" if value < 10 ** 15 else f"10^{len(str(value)) - 1}"


def check_budget(sides: list[Node], text: str, sizes: tuple[int, ...], batch: int) -> int:
    """Raise OverBudget if checking the claim ``sides`` (``Parser.parse``) could cost more than the network needs;
    else its terms written out (both sides), for a whole file's budget."""
    return Budget(text, max(*sizes, batch), len(sizes) - 1).check(sides)


MAX_CLAIMS = 200                 # claims in one command: a course's problem sheet is a few dozen
MAX_TOTAL_TERMS = 20 * MAX_TERMS  # their terms written out, together: twenty of the largest claims
