"""The backward pass as an algorithm: its lines, the shapes of its products, and what it costs.

``algorithm`` writes the back-propagation algorithm in a notation's own symbols (forward pass, δ^L,
δ^l from δ^{l+1}, the gradients, the update), built from the same ``DeltaRules`` the NumPy matrix
route runs; ``backward_dimensions`` instantiates every backward product at every layer of one
network with SymPy matrix symbols of that network's sizes, so that SymPy itself refuses a product
whose shapes do not match, and lists the shape of every factor; ``costs`` counts the
multiplications of back-propagation against differentiating E once per parameter with nothing
reused, in closed form over the widths (tests/test_algorithm.py counts both by running them).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..symbolic.delta import BACKPROP, DeltaRules
from ..symbolic.general import A, Equation, General, Y, Z, gprime, lam, layer_matrix, m, signal_scale
from .printing import Printer

ETA = sp.Symbol("eta", positive=True)          # the learning rate of the update step, printed η


def tidy(expr: sp.Expr) -> sp.Expr:
    """A matrix product without a unit factor: 1/m at m = 1 leaves a 1 that would print beside the bold 1."""
    def drop(e):
        rest = [a for a in e.args if a != 1]
        return rest[0] if len(rest) == 1 else sp.MatMul(*rest)
    return expr.replace(lambda e: isinstance(e, sp.MatMul) and any(a == 1 for a in e.args), drop)


class NotMatrix(Exception):
    """A component expression with no entrywise matrix form (a sum over units, a quotient of quantities)."""


def _layer_shift(layer: sp.Expr, ours: sp.Expr, offset: int) -> int:
    """The shift of a layer_matrix at base L that prints as the component layer ``layer`` (ours = x.L)."""
    k = sp.simplify(layer - ours)
    if not k.is_Integer:
        raise NotMatrix(f"layer {layer}")
    return int(k) - offset


def as_matrix(expr: sp.Expr, general: General, rows=None, cols=None, concrete: bool = False) -> sp.Expr:
    """A δ^L component expression (output layer, unit i, sample c) as whole-layer matrices, entrywise.

    Products of quantities become ⊙, scalars (numbers, m) stay scalars; anything else (a sum over
    the units of a column, a quotient of quantities) raises NotMatrix. ``concrete``: the layers as
    this network's numbers and the shapes as given, instead of L, n_L × m.
    """
    x, offset, depth = general.x, general.notation.layer_offset, general.net.depth
    rows, cols = sp.Symbol("n_L") if rows is None else rows, m if cols is None else cols

    def matrix(kind: str, layer: sp.Expr) -> sp.MatrixSymbol:
        k = sp.simplify(layer - x.L)                    # layer L + k
        if not k.is_Integer:
            raise NotMatrix(f"layer {layer}")
        if concrete:
            return layer_matrix(kind, str(depth), int(k), rows, cols)
        return layer_matrix(kind, "L", int(k) - offset, rows, cols)   # printed L + shift + offset = L + k

    def quantity(e) -> bool:
        return e.has(A, Y, Z) or any(f.func == gprime for f in e.atoms(sp.Function))

    def go(e):
        if not quantity(e):
            if e.free_symbols - {m, lam}:
                raise NotMatrix(str(e))
            return e
        if isinstance(e, sp.Indexed) and e.base in (A, Z) and e.indices[1:] == (x.i, x.c):
            return matrix("A" if e.base == A else "Z", e.indices[0])
        if isinstance(e, sp.Indexed) and e.base == Y and e.indices == (x.i, x.c):
            return matrix("Y", x.L)
        if getattr(e, "func", None) == gprime and isinstance(e.args[1], sp.Indexed) \
                and e.args[1].indices[1:] == (x.i, x.c):
            return matrix("gprime", e.args[0])
        if isinstance(e, sp.Add):
            return sp.MatAdd(*[go(a) for a in e.args])
        if isinstance(e, sp.Mul):
            scalars = [a for a in e.args if not quantity(a)]
            parts = [go(a) for a in e.args if quantity(a)]
            product = parts[0] if len(parts) == 1 else sp.HadamardProduct(*parts)
            return sp.MatMul(sp.Mul(*scalars), product) if scalars else product
        raise NotMatrix(str(e))

    return go(expr)


def output_equations(boxed: list[Equation]) -> list[Equation]:
    """The boxed δ^L equations: the general one first, then its short form under an assumption."""
    return [eq for eq in boxed if eq.label.startswith("delta L")]


def output_delta_matrix(general: General, p: Printer, boxed: list[Equation]) -> list[dict]:
    """The δ^L line(s) of the matrix form: each boxed δ^L equation that has an entrywise matrix form."""
    offset = general.notation.layer_offset
    lhs = p.latex(layer_matrix("delta", "L", -offset, sp.Symbol("n_L"), m))
    out = []
    for eq in output_equations(boxed):
        try:
            rhs = as_matrix(eq.rhs, general)
        except NotMatrix:
            continue
        out.append({"lhs": lhs, "rhs": p.latex(rhs), "label": eq.label, "assumption": p.axis(eq.assumption)})
    return out


@dataclass(frozen=True)
class Line:
    """One line of the algorithm: an equation in LaTeX (lhs, relation, rhs), or words."""

    lhs: str = ""
    rhs: str = ""
    relation: str = "="
    words: str = ""          # text with $maths$ in it, as the template takes it
    note: str = ""           # free text (escaped by the template): an assumption
    indent: int = 0

    def as_dict(self) -> dict:
        return {"lhs": self.lhs, "rhs": self.rhs, "relation": self.relation, "words": self.words,
                "note": self.note, "indent": self.indent}


def algorithm(general: General, p: Printer, boxed: list[Equation], weight_decay) -> dict:
    """The backward pass as numbered lines in the reader's notation, and the loop ranges."""
    x, offset, s = general.x, general.notation.layer_offset, signal_scale(general.notation)
    nl, nprev, nnext = sp.Symbol("n_l"), sp.Symbol("n_prev"), sp.Symbol("n_next")
    node, w = -offset, -general.notation.weight_offset     # a loop over weight layers: l is the weight's number
    Wl, Aprev, bl = layer_matrix("W", "l", w, nl, nprev), layer_matrix("A", "l", w - 1, nprev, m), layer_matrix(
        "b", "l", w, nl, 1)
    Zl, Al = layer_matrix("Z", "l", w, nl, m), layer_matrix("A", "l", w, nl, m)
    forward = sp.MatAdd(sp.MatMul(Wl, Aprev), sp.MatMul(bl, sp.OneMatrix(1, m)), evaluate=False)
    Wn, dn = layer_matrix("W", "l", node + 1, nnext, nl), layer_matrix("delta", "l", node + 1, nnext, m)
    d, G = layer_matrix("delta", "l", node, nl, m), layer_matrix("gprime", "l", node, nl, m)
    dw = layer_matrix("delta", "l", w, nl, m)
    decay = lam if weight_decay != 0 else sp.Integer(0)
    gW, gb = layer_matrix("dW", "l", w, nl, nprev), layer_matrix("db", "l", w, nl, 1)
    rules: DeltaRules = BACKPROP
    g_of = p.function(x.lw, False, p.latex) + r"\left(" + p.latex(Zl) + r"\right)"
    first, last = p.latex(sp.Integer(1 - w)), p.latex(x.reader_L - offset - w)     # the weight layers, as numbered
    hidden_first, hidden_last = p.latex(sp.Integer(1 + offset)), p.latex(x.reader_L - 1)
    layer = p.latex(x.reader_l)
    deltas = output_delta_matrix(general, p, boxed)
    gradients = [
        Line(p.latex(gW), p.latex(tidy(general.display(rules.weight_gradient(dw / s, Aprev, Wl, decay)))), indent=1),
        Line(p.latex(gb), p.latex(tidy(general.display(rules.bias_gradient(dw / s, bl, decay)))), indent=1)]
    backward_two_loops = [
        Line(words=f"Backward pass: for ${layer} = {hidden_last}$ down to ${hidden_first}$, each ${p.latex(d)}$ from "
             f"the ${p.latex(dn)}$ just computed:"),
        Line(p.latex(d), p.latex(rules.hidden(Wn, dn, G)), indent=1),
        Line(words=f"Gradients: for ${layer} = {first}, \\dots, {last}$:"), *gradients]
    # one loop (Goodfellow's Algorithm 6.4): a weight layer's gradients from its signal, then the signal below it
    below = layer_matrix("delta", "l", w - 1, nprev, m)
    backward_one_loop = [
        Line(words=f"Backward pass: for ${layer} = {last}$ down to ${first}$, the gradients of layer ${layer}$ from "
             f"${p.latex(dw)}$, then, unless ${layer} = {first}$, the ${p.latex(below)}$ of the layer below:"),
        *gradients,
        Line(p.latex(below), p.latex(rules.hidden(Wl, dw, layer_matrix("gprime", "l", w - 1, nprev, m))), indent=1)]
    lines = [
        Line(words=f"Forward pass: for ${layer} = {first}, \\dots, {last}$ keep every $" + p.latex(Zl) + "$ and $"
             + p.latex(Al) + "$:"),
        Line(p.latex(Zl), p.latex(forward), indent=1),
        *([Line(p.latex(Al), g_of, indent=1)] if p.latex(Al) != g_of else []),   # θ writes A as h(z)
        Line(words="Output layer:"),
        *([Line(dl["lhs"], dl["rhs"], indent=1, note=dl["assumption"]) for dl in deltas[:1]] or [
            Line(words=p.axis(f"each column of ${p.latex(layer_matrix('delta', 'L', -offset, 1, m))}$ by the boxed "
                 "equation for the output layer: the softmax Jacobian couples the column"), indent=1)]),
        *(backward_one_loop if general.notation.one_loop else backward_two_loops),
        Line(words=f"Update, with a learning rate ${p.latex(ETA)}$:"),
        *[Line(p.latex(q), f"{p.latex(q)} - {p.latex(ETA)} {p.latex(grad)}", relation=p.glyphs.assign, indent=1)
          for q, grad in ((Wl, gW), (bl, gb))],
    ]
    steps: list[dict] = []
    for line in lines:                 # a step: its words, then its equations (or a line of words)
        if line.indent == 0:
            steps.append({"words": line.words, "lines": []})
        else:
            steps[-1]["lines"].append(line.as_dict())
    return {"steps": steps, "output": deltas,
            "hidden_range": (hidden_first, hidden_last), "weight_range": (first, last)}


# --- the shape of every backward product in one network ------------------------------------------


def _shape(rows, cols) -> str:
    return f"({rows} \\times {cols})"


def shape_tex(expr: sp.Expr) -> str:
    """The shapes of a matrix expression's factors, as it is written: (3×1)(1×2) ⊙ (3×2)."""
    if isinstance(expr, (sp.MatrixSymbol, sp.OneMatrix)):
        return _shape(*expr.shape)
    if isinstance(expr, sp.Transpose):
        return _shape(*expr.shape)
    if isinstance(expr, sp.MatMul):
        return "".join(_factor(a) for a in expr.args if isinstance(a, sp.MatrixExpr))
    if isinstance(expr, sp.HadamardProduct):
        return r" \odot ".join(_factor(a) for a in expr.args)
    if isinstance(expr, sp.MatAdd):                  # A − Y is A + (−1)Y: the sign as written
        args = sorted(expr.args, key=_negative)       # as printed: A − Y, not −Y + A
        return ("-" if _negative(args[0]) else "") + shape_tex(args[0]) + "".join(
            (" - " if _negative(a) else " + ") + shape_tex(a) for a in args[1:])
    raise TypeError(f"no shape for {type(expr).__name__}")


def _negative(term: sp.Expr) -> bool:
    return isinstance(term, sp.MatMul) and term.args[0].is_number and term.args[0].is_negative


def _factor(expr: sp.Expr) -> str:
    """A factor's shapes, a sum bracketed."""
    return r"\left(" + shape_tex(expr) + r"\right)" if isinstance(expr, sp.MatAdd) else shape_tex(expr)


def backward_dimensions(general: General, p: Printer, boxed: list[Equation], weight_decay) -> list[dict]:
    """Every backward product of the network at its own sizes: δ^l from δ^{l+1}, ∂E/∂W^l, ∂E/∂b^l.

    The matrices have this network's shapes, so SymPy checks each product (a ShapeError otherwise);
    rows come from the output layer down, as the backward pass runs.
    """
    net, s, mm = general.net, signal_scale(general.notation), general.net.batch
    n, L = net.sizes, net.depth
    decay = lam if weight_decay != 0 else sp.Integer(0)
    rows = []
    for l in range(L, 0, -1):
        dl = layer_matrix("delta", str(l), 0, n[l], mm)
        if l == L:
            for eq in output_equations(boxed):
                try:
                    rows.append(_row(p, "delta", dl, as_matrix(eq.rhs, general, n[L], mm, concrete=True)))
                    break
                except NotMatrix:
                    continue
        else:
            Wn = layer_matrix("W", str(l + 1), 0, n[l + 1], n[l])
            dn = layer_matrix("delta", str(l + 1), 0, n[l + 1], mm)
            G = layer_matrix("gprime", str(l), 0, n[l], mm)
            rows.append(_row(p, "delta", dl, BACKPROP.hidden(Wn, dn, G)))
        Wl, Aprev = layer_matrix("W", str(l), 0, n[l], n[l - 1]), layer_matrix("A", str(l), -1, n[l - 1], mm)
        bl = layer_matrix("b", str(l), 0, n[l], 1)
        rows.append(_row(p, "gradient W", layer_matrix("dW", str(l), 0, n[l], n[l - 1]),
                         general.display(BACKPROP.weight_gradient(dl / s, Aprev, Wl, decay))))
        rows.append(_row(p, "gradient b", layer_matrix("db", str(l), 0, n[l], 1),
                         general.display(BACKPROP.bias_gradient(dl / s, bl, decay))))
    return rows


def _row(p: Printer, kind: str, lhs: sp.MatrixSymbol, rhs: sp.MatrixExpr) -> dict:
    rhs = tidy(rhs.replace(lambda e: isinstance(e, sp.MatrixBase) and all(v == 1 for v in e),   # δ 1: ones
                           lambda e: sp.OneMatrix(*e.shape)))
    if tuple(rhs.shape) != tuple(lhs.shape):          # never, while the rules are right: a planted rule shows here
        raise sp.ShapeError(f"{lhs.name}: {lhs.shape} but the right side is {rhs.shape}")
    return {"kind": kind, "equation": p.latex(lhs) + " = " + p.latex(rhs),       # shapes as the reader's matrices
            "lhs": shape_tex(p.layout(lhs)), "rhs": shape_tex(p.layout(rhs))}


# --- what it costs: multiplications ------------------------------------------------------------


def costs(sizes: tuple[int, ...], batch: int) -> dict:
    """Multiplications for the gradient of E, by back-propagation and by differentiating E once per parameter.

    Counted: each product of two numbers in a matrix product or ⊙, and one per entry of δ^L (its own
    formula, the same in both ways); sums, g and g′ are not counted. Both ways need one forward pass
    (``forward``: the products W^l A^{l-1}). Back-propagation computes each δ^l once and reuses it for
    every parameter of its layer and for δ^{l-1}. Differentiating once per parameter reuses nothing:
    for a parameter of layer l it computes the whole δ^{k} of every layer above (nothing less gives
    ∂E/∂Z^{l}_i), then only its own unit's row of δ^l, then the sum over the samples.
    """
    n, mm, L = sizes, batch, len(sizes) - 1
    forward = sum(n[l] * n[l - 1] * mm for l in range(1, L + 1))
    full = {L: n[L] * mm}                              # δ^k, whole layer, from nothing
    for k in range(L - 1, 0, -1):
        full[k] = full[k + 1] + n[k + 1] * n[k] * mm + n[k] * mm
    backward = full[1] + sum(n[l] * n[l - 1] * mm for l in range(1, L + 1))
    naive = 0
    for l in range(1, L + 1):
        row = mm if l == L else full[l + 1] + n[l + 1] * mm + mm      # one unit's δ^l_{i,:}
        naive += n[l] * n[l - 1] * (row + mm) + n[l] * row
    parameters = sum(n[l] * n[l - 1] + n[l] for l in range(1, L + 1))
    return {"forward": forward, "backward": backward, "naive": naive, "parameters": parameters,
            "ratio": naive / backward, "delta": full[1] if L > 0 else 0}
