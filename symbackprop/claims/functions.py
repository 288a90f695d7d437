"""Claims about an activation itself: ``g'(z) = …``, ``\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))``,
``\\operatorname{ReLU}'(z) = \\begin{cases} 1 & z > 0 \\\\ 0 & \\text{otherwise} \\end{cases}``.

The left side is a function of the table applied to a plain variable z: the notation's g (σ, h, f), the
layer's own activation, or an activation by its name (relu, tanh, …), with a prime its derivative. The
truth is the entry's formula, and its derivative by SymPy with the network's stated value at a kink (the
same the network's claims are checked against, general.py). The right side may use z, numbers, + − · /,
powers, exp, log, tanh, the activations, and cases rows (read as a Piecewise: the first row whose condition
holds).

The proof splits the real line at every kink of the entry and every number a cases condition compares z
with. On each open piece both sides are analytic: the claim's row and the truth's branch are compared
there exactly (``simplify`` of the difference is 0), else at random points of the piece. At each split
point the two values are compared; where they differ at a kink of the activation, whose derivative is
not defined there, the claim states another subgradient convention than the network's: not wrong, and
said in a note (``--relu-at-zero`` sets the network's).
"""
from __future__ import annotations

import random
from typing import cast

import sympy as sp
from sympy.printing.str import StrPrinter

from ..model.notations import Notation
from ..symbolic.derive import Derivation
from ..symbolic.general import General, g, gprime, named, named_prime
from .parse import Apply, Cases, ClaimSyntaxError, Compare, Neg, Node, Num, Op, Power, Var

PROVED, NUMERIC, WRONG = "proved", "numeric", "wrong"
POINTS = 6                    # random points in each piece where no exact proof is found
TOLERANCE = sp.Float(10) ** -40


def is_function_claim(sides: list[Node]) -> bool:
    left = sides[0]
    return isinstance(left, Apply) and isinstance(left.arg, Var)


class _Reader:
    """A function claim's syntax tree as SymPy in one real variable."""

    def __init__(self, d: Derivation, text: str, variable: sp.Symbol):
        self.d, self.text, self.z = d, text, variable

    def value(self, node: Node) -> sp.Expr:
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Var):
            return self.z
        if isinstance(node, Neg):
            return -self.value(node.arg)
        if isinstance(node, Power):
            return self.value(node.base) ** self.value(node.exponent)
        if isinstance(node, Op) and node.op in ("+", "-", "/", "⋅", "⊙", "@"):
            a, b = self.value(node.left), self.value(node.right)
            return {"+": a + b, "-": a - b, "/": a / b}.get(node.op, a * b)
        if isinstance(node, Apply):
            return self.apply(node)
        if isinstance(node, Cases):
            return sp.Piecewise(*[(self.value(v), self.condition(c)) for v, c in node.rows])
        raise ClaimSyntaxError("an activation claim is written in its variable, numbers, + − · /, powers, exp, log, "
                               "tanh, the activations and cases", node.start + 1, self.text)

    def condition(self, c: Compare) -> sp.Basic:
        if c.op == "otherwise":
            return sp.true
        a, b = self.value(cast(Node, c.left)), self.value(cast(Node, c.right))
        return {"<": sp.StrictLessThan, ">": sp.StrictGreaterThan, "<=": sp.LessThan, ">=": sp.GreaterThan}[c.op](a, b)

    def apply(self, node: Apply) -> sp.Expr:
        arg = self.value(node.arg)
        if node.function in ("exp", "log", "tanh"):
            return {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh}[node.function](arg)
        if node.function.startswith("named"):
            kind, name = node.function.split(":")
            return (named_prime if kind == "named_prime" else named)(sp.Symbol(name), arg)
        return (g if node.function == "g" else gprime)(self.layer(node), arg)

    def layer(self, node: Apply) -> int:
        """The layer whose activation the notation's g means: any, when every layer has the same one."""
        rules = self.d.net.layer_rules
        if node.layer is not None and node.layer.base is None:
            layer = node.layer.offset
            if not 1 <= layer <= len(rules):
                raise ClaimSyntaxError(f"this network has no layer {layer} with an activation", node.start + 1,
                                       self.text)
            return layer
        if len({r.name for r in rules}) > 1:
            raise ClaimSyntaxError("this network's layers have different activations: say which, as in g^1'(z), or "
                                   "name it, as in relu'(z)", node.start + 1, self.text)
        return 1


def _pieces(points: list[sp.Rational]) -> list[sp.Rational]:
    """A rational point inside each open piece of the line split at ``points``."""
    if not points:
        return [sp.Rational(3, 7)]
    inside = [points[0] - 1] + [(a + b) / 2 for a, b in zip(points, points[1:], strict=False)] + [points[-1] + 1]
    return inside


class _Printer(StrPrinter):
    def _print_Piecewise(self, e: sp.Piecewise) -> str:
        return "{" + "; ".join(f"{self._print(v)} " + ("otherwise" if c == sp.true else f"if {self._print(c)}")
                               for v, c in e.args) + "}"


def _shown(expr: sp.Expr) -> str:
    """A side as the reader wrote it: g′(z), relu′(z), {1 if z > 0; 0 otherwise}."""
    def named_as(e: sp.Expr) -> sp.Expr:
        name = "g" if e.func in (g, gprime) else str(e.args[0])
        return sp.Function(name + ("′" if e.func in (gprime, named_prime) else ""))(e.args[1])
    return _Printer().doprint(expr.replace(lambda e: e.func in (g, gprime, named, named_prime), named_as))


def _branch(expr: sp.Expr, z: sp.Symbol, at: sp.Rational) -> sp.Expr:
    """The analytic form expr takes on the open piece around ``at``: each Piecewise's row whose condition holds
    there, each Heaviside its value there."""
    expr = expr.replace(lambda e: isinstance(e, sp.Heaviside),
                        lambda e: sp.Integer(1) if e.args[0].subs(z, at) > 0 else sp.Integer(0))

    def piece(e: sp.Expr) -> sp.Expr:            # Max, Min, Abs: the argument it equals on this piece
        if isinstance(e, sp.Abs):
            return e.args[0] if e.args[0].subs(z, at) >= 0 else -e.args[0]
        value = e.subs(z, at)
        return next(a for a in e.args if sp.simplify(a.subs(z, at) - value) == 0)
    expr = expr.replace(lambda e: isinstance(e, sp.Max | sp.Min | sp.Abs), piece)

    def row(p: sp.Piecewise) -> sp.Expr:
        for value, condition in p.args:
            if condition == sp.true or bool(condition.subs(z, at)):
                return value
        return sp.nan
    while expr.has(sp.Piecewise):
        expr = expr.replace(lambda e: isinstance(e, sp.Piecewise), row)
    return expr


def _numbers(expr: sp.Basic, z: sp.Symbol) -> set[sp.Rational]:
    """Where a condition or a step of expr switches: the numbers z is compared with."""
    out: set[sp.Rational] = set()
    for rel in expr.atoms(sp.Rel):
        root = sp.solve(sp.Eq(rel.lhs, rel.rhs), z) if z in rel.free_symbols else []
        out.update(sp.nsimplify(r) for r in root if r.is_real)
    for h in expr.atoms(sp.Heaviside):
        out.update(sp.nsimplify(r) for r in sp.solve(h.args[0], z) if r.is_real)
    return out


def check_function(d: Derivation, notation: Notation, sides: list[Node], text: str, shown: str):
    """An activation claim's verdict (see the module)."""
    from .check import Failure, Verdict  # check.py imports this module

    z = sp.Symbol(cast(Var, cast(Apply, sides[0]).arg).name, real=True)
    reader = _Reader(d, text, z)
    general = General(d.chain, notation)
    left, right = reader.value(sides[0]), reader.value(sides[1])
    lhs, rhs = general.concrete(left, {}), general.concrete(right, {})
    verdict = Verdict(shown, notation.name, instances=1, read_as=f"{_shown(left)} = {_shown(right)}")
    kinks = {sp.nsimplify(k) for e in (left, right) for k in _kinks(e, d)}
    splits = sorted(_numbers(lhs, z) | _numbers(rhs, z) | kinks)
    rng = random.Random(0)
    exact = True
    for at in _pieces(splits):
        claim_here = _branch(rhs, z, at)
        if claim_here.has(sp.nan):                      # no row of the cases covers this piece
            verdict.failures.append(Failure(f"{z} = {at}", None, _float(sp.N(lhs.subs(z, at), 30)),
                                            {str(z): float(at)}, reason="no row of the cases applies here"))
            break
        difference = claim_here - _branch(lhs, z, at)
        if sp.simplify(difference) == 0:
            continue
        exact = False
        low = max([p for p in splits if p < at], default=at - 4)
        high = min([p for p in splits if p > at], default=at + 4)
        for _ in range(POINTS):
            point = low + (high - low) * sp.Rational(rng.randint(1, 999), 1000)
            claim, truth = (sp.N(e.subs(z, point), 60) for e in (rhs, lhs))
            if not (claim.is_number and truth.is_number) or abs(claim - truth) > TOLERANCE * (1 + abs(truth)):
                verdict.failures.append(Failure(f"{z} = {point}", _float(claim), _float(truth), {str(z): float(point)}))
                break
        if verdict.failures:
            break
    for at in splits if not verdict.failures else []:
        claim, truth = (sp.N(e.subs(z, at), 60) for e in (rhs, lhs))
        if claim is sp.nan and at in kinks:
            verdict.notes.append(f"the claim leaves {z} = {at} undefined, where the activation has a kink and no "
                                 f"derivative; this network takes {float(truth):.6g} there (--relu-at-zero)")
            continue
        if claim.is_number and truth.is_number and abs(claim - truth) <= TOLERANCE * (1 + abs(truth)):
            continue
        if at in kinks and claim.is_number and 0 <= claim <= 1:
            verdict.notes.append(f"at {z} = {at}, where the activation has a kink and no derivative, the claim takes "
                                 f"{float(claim):.6g} and this network's convention {float(truth):.6g}: either is a "
                                 "subgradient (--relu-at-zero states the network's)")
            continue
        verdict.failures.append(Failure(f"{z} = {at}", _float(claim), _float(truth), {str(z): float(at)}))
        break
    if verdict.failures:
        verdict.status, verdict.failed, verdict.method = WRONG, 1, "counterexample"
    else:
        verdict.status = PROVED if exact else NUMERIC
        verdict.method = ("exact: " + ("on each piece between " + ", ".join(map(str, splits)) if splits
                                       else "simplifies to 0")) if exact else \
            f"numeric: {POINTS} random points in each piece, to 1e-40"
    return verdict


def _kinks(expr: sp.Expr, d: Derivation) -> set[float]:
    """The kinks of every activation entry the expression applies (where their g′ jumps)."""
    names = {str(e.args[0]) for e in expr.atoms(sp.Function) if e.func in (named, named_prime)}
    rules = [r for r in d.net.layer_rules if r.name in names or expr.has(g, gprime)]
    from ..model.activations import activation
    rules += [activation(n) for n in names if n not in {r.name for r in rules}]
    return {k for r in rules for k in r.kinks}


def _float(value: sp.Expr) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
