"""The textbook equations in general form: symbolic layer, unit and sample indices.

A write-up prints these, so each is a SymPy expression over ``Indexed`` quantities
(``W[l, i, j]``, ``Z[l, i, c]``, ``delta[l, i, c]``) and the undefined ``g(l, z)``, ``gprime(l, z)``
that the notation's printer shows as its own glyphs. Indices are the reader's letters, and a
layer index is written as the reader's layer minus the notation's offset, so that the printer,
adding the offset back, shows exactly the reader's numbering.

Printed equations are claims like any other: ``instances`` writes one for every layer, unit and
sample of a network, in the derivation's symbols, so that it can be proved like the δ steps.
The reader's δ is ``scale`` times ∂E/∂Z: 1 in the matrix notation, m in the per-sample ones.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp

from ..model.activations import activation
from ..model.notations import Notation
from .direct import ChainRule, adjoint_symbol

W, b, Z, A, Y, delta, n = (sp.IndexedBase(name) for name in ("W", "b", "Z", "A", "Y", "delta", "n"))
g, gprime = sp.Function("g"), sp.Function("gprime")
# an activation a claim names (relu(z), tanh'(z)): named(Symbol("relu"), z), its derivative named_prime(…)
named, named_prime = sp.Function("named"), sp.Function("named_prime")
m, lam = sp.Symbol("m", integer=True, positive=True), sp.Symbol("lam", nonnegative=True)


class Partial(sp.Expr):
    """∂f/∂x shown as a fraction, never evaluated: a quantity in the text of an equation."""

    is_commutative = True

    def __new__(cls, f: sp.Expr, x: sp.Expr):
        return sp.Expr.__new__(cls, sp.sympify(f), sp.sympify(x))


E = sp.Symbol("E")


@dataclass(frozen=True)
class Equation:
    """One general equation: ``lhs = rhs`` for every layer in ``layers`` and index in ``over``."""

    label: str
    lhs: sp.Expr
    rhs: sp.Expr
    why: str
    over: str = "ic"          # the free indices: unit i, previous unit j, sample c
    layers: str = "all"       # all, hidden, output or none (the layers the equation holds for)
    anchor: str = "node"      # whose layer the reader's l is: a node's (z, a, δ) or a weight's
    boxed: bool = False
    assumption: str = ""
    then: sp.Expr | None = None   # a shorter form the display goes on to ("= (A − Y)/m"), checked like rhs


THEN = " then"      # a claim of an equation's second form is named as its instance's claim with this appended


class Letters:
    """The reader's index letters and layers: unit i, previous unit j, next unit k, sample c, layer l, output L.

    As in the seeds, L is the reader's output layer: ours (the number of weight layers) in the matrix
    notation, one more in theta and ufldl, whose layers start at 1 with the input.
    """

    def __init__(self, notation: Notation):
        unit, prev, nxt, sample = notation.letters
        self.i, self.j, self.k, self.c = sp.symbols(f"{unit} {prev} {nxt} {sample}", integer=True, positive=True)
        self.reader_l = sp.Symbol("l", integer=True, positive=True)
        self.l = self.reader_l - notation.layer_offset          # our node layer, printed back as the reader's l
        self.lw = self.reader_l - notation.weight_offset         # our weight layer, printed back as the reader's l
        self.reader_L = sp.Symbol("L", integer=True, positive=True)    # the reader's output layer, as the seeds
        self.L = self.reader_L - notation.layer_offset                   # number it: our depth, printed back as L


class _Column:
    """The output column of one sample in general form: entry i is a[L, i, c]; summed, Σ_k a[L, k, c].

    The loss table's collapses take a column and index it or add it up; this lets them write
    their general form from the same entry of the table.
    """

    def __init__(self, entry, k: sp.Symbol, size: sp.Expr):
        self.entry, self.k, self.size = entry, k, size

    def __getitem__(self, i):
        return self.entry(i)

    def __iter__(self):
        return iter([sp.Sum(self.entry(self.k), (self.k, 1, self.size))])


def signal_scale(notation: Notation) -> sp.Expr:
    """The reader's δ over ∂E/∂Z: m for one sample's δ (theta, ufldl), 1 where 1/m is inside (matrix)."""
    return m if notation.tex.per_sample or notation.per_example_signal else sp.Integer(1)


def _unroll_outer(s: sp.Sum) -> sp.Expr:
    """A sum's outermost limit written out term by term (its bounds must be numbers by now)."""
    *inner, (v, low, high) = s.limits
    body = sp.Sum(s.function, *inner) if inner else s.function
    return sp.Add(*[body.xreplace({v: k}) for k in range(int(low), int(high) + 1)])


class General:
    """The general equations of one network in one notation."""

    def __init__(self, chain: ChainRule, notation: Notation):
        self.chain, self.fp, self.net, self.notation = chain, chain.forward, chain.forward.net, notation
        self.x = Letters(notation)
        self.scale = signal_scale(notation)
        self.scale_here = self.scale.subs(m, self.net.batch)       # the scale in this network's numbers
        self._activations: dict = {}                                 # (g or gprime, layer) -> (t, its formula in t)

    # --- the forward pass and the error --------------------------------------------------------

    def forward(self) -> list[Equation]:
        x, l, lw = self.x, self.x.l, self.x.lw
        z = sp.Sum(W[lw, x.i, x.j] * A[lw - 1, x.j, x.c], (x.j, 1, n[lw - 1])) + b[lw, x.i]
        out = [Equation("Z", Z[lw, x.i, x.c], z, "each unit sums its weighted inputs and adds its bias",
                        anchor="weight")]
        if self.elementwise_output:
            out.append(Equation("A", A[l, x.i, x.c], g(l, Z[l, x.i, x.c]), "each unit applies its activation function"))
        else:
            out.append(Equation("A", A[l, x.i, x.c], g(l, Z[l, x.i, x.c]), "each hidden unit applies its "
                                "activation", layers="hidden"))
            softmax = sp.exp(Z[x.L, x.i, x.c]) / sp.Sum(sp.exp(Z[x.L, x.k, x.c]), (x.k, 1, n[x.L]))
            out.append(Equation("softmax", A[x.L, x.i, x.c], softmax, "the output layer is a softmax over "
                                "each sample's column", layers="output"))
        return out

    @property
    def elementwise_output(self) -> bool:
        return self.net.rule(self.net.depth).elementwise

    def error(self) -> Equation:
        x, loss = self.x, self.net.loss_rule
        term = loss.term(A[x.L, x.i, x.c], Y[x.i, x.c])
        rhs = sp.Sum(term, (x.i, 1, n[x.L]), (x.c, 1, m)) / m
        if self.net.weight_decay != 0:
            lw, w = x.lw, self.notation.weight_offset        # over the weight layers, as the reader numbers them
            decay = sp.Sum(sp.Sum(W[lw, x.i, x.j] ** 2, (x.j, 1, n[lw - 1]), (x.i, 1, n[lw])),
                           (x.reader_l, 1 + w, x.L + w))
            rhs += lam / 2 * decay
        one = self.net.batch == 1
        said = f"the {loss.example_title or loss.title} of one example" if one else f"the {loss.title} over m samples"
        return Equation("E", E, rhs, said
                        + (", plus weight decay (biases are not decayed)" if self.net.weight_decay != 0 else ""),
                        over="", layers="none")

    # --- the chain rule, step by step ---------------------------------------------------------------

    def chain_rule(self) -> list[Equation]:
        x, l, lw, L = self.x, self.x.l, self.x.lw, self.x.L
        decay = self._decay(lw)
        dZ = lambda layer, unit: Partial(E, Z[layer, unit, x.c])  # noqa: E731
        every = " in every sample" if self.net.batch > 1 else ""
        only = ("through {Z} of its unit" + every + " and through the decay term" if decay != 0
                else "only through {Z} of its unit" + every)
        return [
            Equation("dW", Partial(E, W[lw, x.i, x.j]),
                     sp.Sum(dZ(lw, x.i) * A[lw - 1, x.j, x.c], (x.c, 1, m)) + decay,
                     "the weight enters {E} " + only + ", where the weight's ∂{Z}/∂{W} is the input {A} of the layer "
                     "before",
                     over="ij", anchor="weight"),
            Equation("db", Partial(E, b[lw, x.i]), sp.Sum(dZ(lw, x.i), (x.c, 1, m)),
                     "the bias enters {E} only through {Z} of its unit" + every + ", with the bias's ∂{Z}/∂{b} = 1",
                     over="i",
                     anchor="weight"),
            Equation("dZ", dZ(l, x.i), Partial(E, A[l, x.i, x.c]) * gprime(l, Z[l, x.i, x.c]),
                     "{Z} feeds only its own unit's {post_word} {A_of_Z}",
                     layers="all" if self.elementwise_output else "hidden"),
            Equation("dA", Partial(E, A[l, x.i, x.c]),
                     sp.Sum(dZ(l + 1, x.k) * W[l + 1, x.k, x.i], (x.k, 1, n[l + 1])),
                     "{A} feeds every unit of the next layer, through the weight joining them", layers="hidden"),
            *([] if self.elementwise_output else [
                Equation("dZL", dZ(L, x.i), sp.Sum(Partial(E, A[L, x.k, x.c]) * A[L, x.k, x.c]
                                                   * (sp.KroneckerDelta(x.k, x.i) - A[L, x.i, x.c]), (x.k, 1, n[L])),
                         "the softmax couples the column: {Z} of one output unit moves every output {A} of its "
                         "sample, so the chain rule sums over them through the softmax Jacobian", layers="output")]),
            Equation("dAL", Partial(E, A[L, x.i, x.c]),
                     self.net.loss_rule.output_gradient(A[L, x.i, x.c], Y[x.i, x.c], m),
                     "the output enters {E} directly: differentiate {E} (no chain rule)", layers="output"),
            *self._output_product(),
        ]

    def _output_product(self) -> list[Equation]:
        """Where the loss and the output activation cancel (bce after sigmoid): ∂E/∂Z^L as the two steps above
        multiplied, g′ written in A, before the cancellation the boxed δ^L shows done; none elsewhere."""
        net, x, L = self.net, self.x, self.x.L
        output = net.activation(net.depth)
        if output not in net.loss_rule.collapses or not net.rule(net.depth).elementwise:
            return []
        a, z = A[L, x.i, x.c], Z[L, x.i, x.c]
        derivative = net.rule(net.depth).textbook_derivative(z, a, L)
        gradient = net.loss_rule.output_gradient(a, Y[x.i, x.c], m)
        product = sp.Mul(gradient, derivative, evaluate=False)       # uncancelled: ∂E/∂A times g′, each whole
        return [Equation("dZL product", Partial(E, z), product,
                         "at the output, the two steps above multiplied, {g}′ written in {A}: the factors of {g}′ "
                         "cancel against the loss's denominator, leaving the short form boxed below", layers="output",
                         then=sp.cancel(product))]

    # --- the δ equations, boxed -----------------------------------------------------------------------

    def output_delta(self) -> list[Equation]:
        x, L, s, net = self.x, self.x.L, self.scale, self.net
        output, loss = net.activation(net.depth), net.loss_rule
        lhs = delta[L, x.i, x.c]
        a, y = _Column(lambda i: A[L, i, x.c], x.k, n[L]), _Column(lambda i: Y[i, x.c], x.k, n[L])
        collapse = loss.collapses.get(output)
        out = []
        if collapse is not None:
            why = (f"{loss.title} after {output}: ∂{{E}}/∂{{A}} and {{g}}′ cancel" if net.rule(net.depth).elementwise
                   else f"{loss.title} after {output}: ∂{{E}}/∂{{A}} put into the Jacobian sum for ∂{{E}}/∂{{Z}} "
                   "above, and the sum simplified")
            out.append(Equation("delta L", lhs, s * collapse(a, y, x.i, m), why, layers="output", boxed=True))
        elif net.rule(net.depth).elementwise:
            out.append(Equation("delta L", lhs, s * loss.output_gradient(a[x.i], y[x.i], m) * gprime(L, Z[L, x.i, x.c]),
                                "the output's own rule: ∂{E}/∂{A} times {gprime}", layers="output", boxed=True))
        else:
            jacobian = a[x.k] * (sp.KroneckerDelta(x.k, x.i) - a[x.i])
            chain = sp.factor_terms(s * sp.Sum(loss.output_gradient(a[x.k], y[x.k], m) * jacobian, (x.k, 1, n[L])))
            out.append(Equation("delta L", lhs, chain,
                                "softmax couples the column: sum ∂{E}/∂{A} over its Jacobian", layers="output",
                                boxed=True))
        short = loss.short_forms.get(output)
        if short is not None:
            out.append(Equation("delta L short", lhs, s * short.formula(a, y, x.i, m),
                                "shorter, under an assumption on Y", layers="output", boxed=True,
                                assumption=short.assumption))
        return out

    def hidden_delta(self) -> Equation:
        x, l = self.x, self.x.l
        rhs = sp.Sum(delta[l + 1, x.k, x.c] * W[l + 1, x.k, x.i], (x.k, 1, n[l + 1])) * gprime(l, Z[l, x.i, x.c])
        return Equation("delta l", delta[l, x.i, x.c], rhs, "{delta} one layer back: the next layer's {delta} through "
                        "the weights, times {gprime}", layers="hidden", boxed=True)

    def gradients(self) -> list[Equation]:
        x, l, s = self.x, self.x.lw, self.scale
        decay = self._decay(l)
        # theta's δ is m ∂J/∂z: there ∂J/∂z is δ/m, which is where the 1/m comes from (review 7: "written as δ")
        named = "written as {delta}" if self.scale_here == 1 else "= {delta}/m"
        return [Equation("gradient W", Partial(E, W[l, x.i, x.j]),
                         sp.Sum(delta[l, x.i, x.c] * A[l - 1, x.j, x.c], (x.c, 1, m)) / s + decay,
                         "the chain rule for the weight {W} with ∂{E}/∂{Z} " + named, over="ij", anchor="weight",
                         boxed=True),
                Equation("gradient b", Partial(E, b[l, x.i]), sp.Sum(delta[l, x.i, x.c], (x.c, 1, m)) / s,
                         "the chain rule for the bias {b} with ∂{E}/∂{Z} " + named, over="i", anchor="weight",
                         boxed=True)]

    def _decay(self, layer) -> sp.Expr:
        """∂/∂W^l_ij of (λ/2) Σ ||W||²: λ W^l_ij, or 0 without weight decay."""
        return lam * W[layer, self.x.i, self.x.j] if self.net.weight_decay != 0 else sp.Integer(0)

    def boxed(self) -> list[Equation]:
        """δ^L, δ^l, ∂E/∂W, ∂E/∂b; in the order the notation's labels list them where it labels them
        (Nielsen's BP3, ∂C/∂b, before BP4, ∂C/∂w)."""
        order = list(self.notation.labels)
        eqs = self.output_delta() + [self.hidden_delta()] + self.gradients()
        return sorted(eqs, key=lambda eq: order.index(eq.label) if eq.label in order else len(order))

    # --- instances: each general equation at every index of this network --------------------------------

    def indices(self, eq: Equation) -> list[dict]:
        """Every (our layer l, i, j, c) the equation covers in this network, as a substitution."""
        x, net, offset = self.x, self.net, self.notation.layer_offset
        layers: Sequence[Any] = {"all": range(1, net.depth + 1), "hidden": range(1, net.depth), "output": [net.depth],
                  "none": [None]}[eq.layers]
        out = []
        for l in layers:
            ranges = {x.i: range(1, net.sizes[l] + 1) if "i" in eq.over else [None],
                      x.j: range(1, net.sizes[l - 1] + 1) if "j" in eq.over else [None],
                      x.c: range(1, net.batch + 1) if "c" in eq.over else [None]}
            for values in itertools.product(*ranges.values()):
                at = {k: v for k, v in zip(ranges, values, strict=True) if v is not None}
                shift = offset if eq.anchor == "node" else self.notation.weight_offset
                out.append(at | ({x.reader_l: l + shift} if l is not None else {}))
        return out

    def concrete(self, expr: sp.Expr, at: dict) -> sp.Expr:
        """A general expression at one index: sums done, quantities as this derivation's symbols."""
        fp, net = self.fp, self.net
        output = {self.x.reader_L: net.depth + self.notation.layer_offset}
        expr = expr.xreplace({**at, **output, m: sp.Integer(net.batch), lam: fp.weight_decay})
        sized = lambda e: isinstance(e, sp.Indexed) and e.base == n and e.indices[0].is_Integer  # noqa: E731
        while expr.has(sp.Sum):          # the outer sum first (over layers), then those its sizes bound
            expr = expr.replace(sized, lambda e: sp.Integer(self.size(e.indices[0])))
            expr = expr.replace(lambda e: isinstance(e, sp.Sum), _unroll_outer)
        expr = expr.replace(lambda e: isinstance(e, Partial), lambda e: adjoint_symbol(self.entry(e.args[1])))
        expr = expr.replace(lambda e: isinstance(e, sp.Indexed), self.entry)
        expr = expr.replace(lambda e: e.func in (named, named_prime), lambda e: self._named(e))
        return expr.replace(lambda e: e.func in (g, gprime), lambda e: self._activation(e))

    def size(self, layer) -> int:
        """The number of units n_l of one of our layers."""
        return self.net.sizes[int(layer)]

    def entry(self, q: sp.Indexed) -> sp.Expr:
        """One indexed quantity as the forward pass's symbol; the reader's δ is scale · ∂E/∂Z."""
        fp, base, idx = self.fp, q.base, [int(k) for k in q.indices]
        if base == W:
            return fp.W[idx[0]][idx[1] - 1, idx[2] - 1]
        if base == b:
            return fp.b[idx[0]][idx[1] - 1]
        if base == Y:
            return fp.Y[idx[0] - 1, idx[1] - 1]
        node = {Z: fp.Z, A: fp.A, delta: fp.Z}[base][idx[0]][idx[1] - 1, idx[2] - 1]
        return self.scale_here * adjoint_symbol(node) if base == delta else node

    def _activation(self, e: sp.Expr) -> sp.Expr:
        """g(l, z): the layer's activation; gprime(l, z): SymPy's own derivative of it."""
        layer, z = int(e.args[0]), e.args[1]
        key = (e.func, layer)
        if key not in self._activations:          # one derivative per layer, not one per instance of an equation
            t = sp.Dummy("t", real=True)
            formula = self.net.rule(layer).formula(t, layer)
            self._activations[key] = t, formula if e.func == g else self.fp.with_conventions(sp.diff(formula, t))
        t, value = self._activations[key]
        return value.subs(t, z)

    def _named(self, e: sp.Expr) -> sp.Expr:
        """An activation a claim names: this network's entry of that name if it has one (its leaky_relu's
        slope), else the registry's; its derivative with the network's stated value at a kink."""
        name, z = str(e.args[0]), e.args[1]
        rule = next((r for r in self.net.layer_rules if r.name == name), None) or activation(name)
        t = sp.Dummy("t", real=True)
        formula = rule.formula(t, 0)
        value = formula if e.func == named else self.fp.with_conventions(sp.diff(formula, t))
        return value.subs(t, z)

    def truth(self, eq: Equation, at: dict) -> sp.Expr:
        """What the lhs is, by the chain rule on E (never the δ equations), at one index."""
        lhs = self.concrete(eq.lhs, at)
        chain = self.chain
        if eq.label in ("Z", "A", "softmax"):
            return self.fp.definitions[lhs]
        if eq.label == "E":
            return self.fp.E
        if eq.label == "dZL product":                           # ∂E/∂Z^L all the way to E: no symbol left
            return chain.step(self._node_of_adjoint(lhs), symbolic_edges=False)
        if not eq.label.startswith("delta"):                     # ∂E/∂(node or parameter)
            return chain.local(self._node_of_adjoint(lhs))
        node = self._node_of_adjoint(lhs / self.scale_here)
        return self.scale_here * chain.step(node, symbolic_edges=False)

    def display(self, expr: sp.Expr) -> sp.Expr:
        """As the reader writes it: a per-sample notation with one sample drops the sum over samples."""
        if not (self.notation.tex.per_sample and self.net.batch == 1):
            return expr
        def drop_samples(s: sp.Sum) -> sp.Expr:
            kept = [limit for limit in s.limits if limit[0] != self.x.c]
            return sp.Sum(s.function, *kept) if kept else s.function

        return expr.replace(lambda e: isinstance(e, sp.Sum), drop_samples).xreplace({m: 1, self.x.c: 1})

    @staticmethod
    def _node_of_adjoint(adjoint: sp.Symbol) -> sp.Symbol:
        return sp.Symbol(adjoint.name[len("dE_d"):], real=True)

    def check_instances(self, eq: Equation) -> list[tuple[str, sp.Expr, sp.Expr, dict]]:
        """(name, truth, claim, assumption) for every instance: what a verifier proves."""
        out = []
        for at in self.indices(eq):
            truth, claim, assume = self.truth(eq, at), self.concrete(eq.rhs, at), {}
            if eq.assumption:
                short = self.net.loss_rule.short_forms[self.net.activation(self.net.depth)]
                assume = short.eliminate(list(self.fp.Y[:, at[self.x.c] - 1]))
                truth, claim = truth.xreplace(assume), claim.xreplace(assume)
            name = eq.label + "[" + ",".join(f"{k}={v}" for k, v in at.items()) + "]"
            out.append((name, truth, claim, assume))
            if eq.then is not None:                   # the display's second form is claimed too
                out.append((name + THEN, truth, self.concrete(eq.then, at).xreplace(assume), assume))
        return out


# --- the matrix form ----------------------------------------------------------------------------------


def layer_matrix(kind: str, base: str, shift: int, rows, cols) -> sp.MatrixSymbol:
    """A whole-layer quantity of the general form: kind W, b, Z, A, delta or gprime at layer base+shift
    (base "l" or "L"), named so that the printer can show it in the reader's notation."""
    return sp.MatrixSymbol(f"{kind}|{base}|{shift}", rows, cols)


def matrix_form(rules, notation: Notation, weight_decay) -> list[tuple[str, sp.Expr, sp.Expr]]:
    """(label, lhs, rhs) of the hidden δ and gradient equations, built by ``rules`` (delta.DeltaRules,
    the same the NumPy matrix route applies) on whole-layer matrices with symbolic sizes."""
    nl, nprev, nnext = sp.Symbol("n_l"), sp.Symbol("n_prev"), sp.Symbol("n_next")
    s, node = signal_scale(notation), -notation.layer_offset          # node layers: l - offset
    Wn, dn = layer_matrix("W", "l", node + 1, nnext, nl), layer_matrix("delta", "l", node + 1, nnext, m)
    d, G = layer_matrix("delta", "l", node, nl, m), layer_matrix("gprime", "l", node, nl, m)
    w = -notation.weight_offset                        # the gradients are anchored at the weight's layer l
    dw = layer_matrix("delta", "l", w, nl, m)
    Wl, Aprev, bl = layer_matrix("W", "l", w, nl, nprev), layer_matrix("A", "l", w - 1, nprev, m), layer_matrix(
        "b", "l", w, nl, 1)
    decay = lam if weight_decay != 0 else sp.Integer(0)
    gW, gb = layer_matrix("dW", "l", w, nl, nprev), layer_matrix("db", "l", w, nl, 1)
    return [("delta l", d, rules.hidden(Wn, dn, G)),
            ("gradient W", gW, rules.weight_gradient(dw / s, Aprev, Wl, decay)),
            ("gradient b", gb, rules.bias_gradient(dw / s, bl, decay))]
