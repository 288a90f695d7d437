r"""Seed 000 ("Neural Networks - Back-propagation Derivation", matrix notation), display by display.

The seed numbers none of its displays; they are numbered [1]..[8] here in the seed's order, each with
the index ranges the seed states after it. Layers 0..L, A^0 = X, Z^l = W^l A^{l−1} + b^l,
A^l = g^l(Z^l), E = 1/(2m) Σ_c Σ_i (A^L_ic − Y_ic)², any differentiable g^l; the seed names no δ.
Every ∂E/∂(·) below is the true partial (``D``), so the chain-rule members are checked, not assumed.
"""
from __future__ import annotations

import sympy as sp

from .seed_displays import ACT_PRIME, ERROR, D, Display, Member, Translator, sizes_text

# Seed 000 holds for any differentiable g^l: checked with a generic g^l per layer. n^{L−1} > n^L shows its slip.
INSTANCE = {"sizes": (2, 2, 2, 1), "activations": "generic", "loss": "mse", "batch": 2}
NUMBERS = INSTANCE

A, Z, W, b, Y, x, y = (sp.IndexedBase(s) for s in ("A", "Z", "W", "b", "Y", "x", "y"))
gprime = ACT_PRIME


class Seed(Translator):
    """The seed's symbols are ours: A^0 = X, columns x_c, y_c of X and Y."""

    def entry(self, base: str, *idx: int) -> sp.Expr:
        fp = self.fp
        if base == "A":
            l, i, c = idx
            if not 1 <= i <= self.n[l]:
                raise IndexError(f"A^{l}_{i}{c} does not exist: layer {l} has {self.n[l]} units")
            return fp.X[i - 1, c - 1] if l == 0 else fp.A[l][i - 1, c - 1]
        if base == "Z":
            return fp.Z[idx[0]][idx[1] - 1, idx[2] - 1]
        if base == "W":
            return fp.W[idx[0]][idx[1] - 1, idx[2] - 1]
        if base == "b":
            return fp.b[idx[0]][idx[1] - 1]
        if base in ("Y", "y"):
            i, c = idx if base == "Y" else idx[::-1]
            return fp.Y[i - 1, c - 1]
        if base == "x":
            c, j = idx
            return fp.X[j - 1, c - 1]
        raise KeyError(base)

    def units(self, l: int) -> range:
        return range(1, self.n[l] + 1)

    @property
    def samples(self) -> range:
        return range(1, self.m + 1)

    def data(self):
        for c in self.samples:
            yield from (Member(f"[1] A^0_{j}{c}", x[c, j], A[0, j, c]) for j in self.units(0))
            yield from (Member(f"[1] Y_{i}{c}", y[c, i], Y[i, c]) for i in self.units(self.L))

    def error(self):
        total = sp.Add(*[(A[self.L, i, c] - Y[i, c]) ** 2 for c in self.samples for i in self.units(self.L)])
        return [Member("[2] E", total / (2 * self.m), ERROR)]

    def weights(self):
        for l in range(1, self.L + 1):
            for i in self.units(l):
                for j in self.units(l - 1):
                    w, cs = W[l, i, j], self.samples
                    yield Member(f"[4] middle for W^{l}_{i}{j}", sp.Add(*[D(ERROR, Z[l, i, c]) * D(Z[l, i, c], w)
                                                                         for c in cs]), D(ERROR, w))
                    yield Member(f"[4] right for W^{l}_{i}{j}", sp.Add(*[D(ERROR, Z[l, i, c]) * A[l - 1, j, c]
                                                                        for c in cs]), D(ERROR, w))

    def biases(self):
        for l in range(1, self.L + 1):
            for i in self.units(l):
                v, cs = b[l, i], self.samples
                middle = sp.Add(*[D(ERROR, Z[l, i, c]) * D(Z[l, i, c], v) for c in cs])
                yield Member(f"[5] middle for b^{l}_{i}", middle, D(ERROR, v))
                yield Member(f"[5] right for b^{l}_{i}", sp.Add(*[D(ERROR, Z[l, i, c]) for c in cs]), D(ERROR, v))

    def pre_activations(self):
        for l in range(1, self.L + 1):
            for i in self.units(l):
                for c in self.samples:
                    z, a = Z[l, i, c], A[l, i, c]
                    yield Member(f"[6] middle for Z^{l}_{i}{c}", D(ERROR, a) * D(a, z), D(ERROR, z))
                    yield Member(f"[6] right for Z^{l}_{i}{c}", D(ERROR, a) * gprime(z), D(ERROR, z))

    def activations(self):
        for l in range(1, self.L):
            for i in self.units(l):
                for c in self.samples:
                    a, nxt = A[l, i, c], self.units(l + 1)
                    yield Member(f"[7] middle for A^{l}_{i}{c}",
                                 sp.Add(*[D(ERROR, Z[l + 1, j, c]) * D(Z[l + 1, j, c], a) for j in nxt]), D(ERROR, a))
                    yield Member(f"[7] right for A^{l}_{i}{c}",
                                 sp.Add(*[D(ERROR, Z[l + 1, j, c]) * W[l + 1, j, i] for j in nxt]), D(ERROR, a))

    def output(self, units: int | None = None):
        """The corrected range i = 1..n^L; ``units`` another range (the seed's n^{L−1})."""
        for i in range(1, (self.n[self.L] if units is None else units) + 1):
            for c in self.samples:
                a = A[self.L, i, c]
                yield Member(f"[8] for A^L_{i}{c}", (a - Y[i, c]) / self.m, D(ERROR, a))


def _range_counterexample(t: Seed) -> str:
    """The range n^{l-1}, read at the output layer l = L, runs past the output's units: "" where it does not."""
    L, n = t.L, t.n
    if n[L - 1] <= n[L]:
        return ""
    return (f"the range's $n^{{l-1}}$, at the output layer $l = L$, is $n^{{L-1}}$; on the {sizes_text(t.d.net)} "
            f"network ($L = {L}$), $i = {n[L - 1]}$ is in the range $1, \\ldots, n^{{L-1}}$, $n^{{L-1}} = {n[L - 1]}$, "
            f"but the output layer has $n^L = {n[L]}$ unit{'s' if n[L] > 1 else ''}: $A^L_{{{n[L - 1]}c}}$ and "
            f"$Y_{{{n[L - 1]}c}}$ do not exist")


RANGES_WB = r"\quad \text{for } i=1,\dots,n^l,\ j=1,\ldots,n^{l-1},\ l=1,\ldots,L"
DISPLAYS = [
    Display("[1]", r"A^0 &= [\textbf{x}_1 \; \textbf{x}_2 \; \cdots \; \textbf{x}_m], \\"
                   "\n" r"Y &= [\textbf{y}_1 \; \textbf{y}_2 \; \cdots \; \textbf{y}_m]", "definition",
            r"The data: sample $c$ is column $c$, as in this document", check=Seed.data),
    Display("[2]", r"E = \tfrac{1}{2m} \sum_{c=1}^m \sum_{i=1}^{n^L} \left( A_{ic}^L - Y_{ic} \right)^2", "definition",
            r"The error: checked to be this network's $E$", check=Seed.error),
    Display("[3]", r"\frac{\partial E}{\partial W^l_{ij}} \quad \text{and} \quad \frac{\partial E}{\partial b^l_i}"
                   + RANGES_WB, "quantity", "What is sought"),
    Display("[4]", r"\frac{\partial E}{\partial W^l_{ij}} &= \sum_{c=1}^m \frac{\partial E}{\partial Z^l_{ic}} "
                   r"\frac{\partial Z^l_{ic}}{\partial W^l_{ij}} \\" "\n"
                   r"&= \sum_{c=1}^m \frac{\partial E}{\partial Z^l_{ic}} A^{l-1}_{jc}" + RANGES_WB, "step",
            r"$E$ as a function of $Z^l_{i1}, \ldots, Z^l_{im}$, each a function of $W^l_{ij}$; the factor "
            r"$\partial Z^l_{ic}/\partial W^l_{ij} = A^{l-1}_{jc}$ is checked as a member of its own",
            check=Seed.weights),
    Display("[5]", r"\frac{\partial E}{\partial b^l_i} &= \sum_{c=1}^m \frac{\partial E}{\partial Z^l_{ic}} "
                   r"\frac{\partial Z^l_{ic}}{\partial b^l_i} \\" "\n"
                   r"&= \sum_{c=1}^m \frac{\partial E}{\partial Z^l_{ic}}"
                   r"\quad \text{for } i=1,\ldots,n^l,\ l=1,\ldots,L", "step",
            r"The same for the bias, where $\partial Z^l_{ic}/\partial b^l_i = 1$", check=Seed.biases),
    Display("[6]", r"\frac{\partial E}{\partial Z^l_{ic}} &= \frac{\partial E}{\partial A^l_{ic}} "
                   r"\frac{\partial A^l_{ic}}{\partial Z^l_{ic}} \\" "\n"
                   r"&= \frac{\partial E}{\partial A^l_{ic}} {g^l}'(Z^l_{ic})"
                   r"\quad \text{for } i=1,\ldots,n^l,\ l=1,\ldots,L,\ c=1,\ldots,m", "step",
            r"Through the activation, $\partial A^l_{ic}/\partial Z^l_{ic} = {g^l}'(Z^l_{ic})$ (this document's "
            r"$\delta^l_{ic}$ is $\partial E/\partial Z^l_{ic}$)", check=Seed.pre_activations),
    Display("[7]", r"\frac{\partial E}{\partial A^l_{ic}} &= \sum_{j=1}^{n^{l+1}} "
                   r"\frac{\partial E}{\partial Z^{l+1}_{jc}} "
                   r"\frac{\partial Z^{l+1}_{jc}}{\partial A^l_{ic}} \\" "\n"
                   r"&= \sum_{j=1}^{n^{l+1}} \frac{\partial E}{\partial Z^{l+1}_{jc}} W^{l+1}_{ji}"
                   r"\quad \text{for } i=1,\ldots,n^l,\ l=1,\ldots,L-1,\ c=1,\ldots,m", "step",
            r"Through the next layer, $\partial Z^{l+1}_{jc}/\partial A^l_{ic} = W^{l+1}_{ji}$",
            check=Seed.activations),
    Display("[8]", r"\frac{\partial E}{\partial A^L_{ic}} = \tfrac{1}{m} \left( A^L_{ic} - Y_{ic} \right)"
                   r"\quad \text{for } i=1,\ldots,n^{l-1},\ c=1,\ldots,m", "slip",
            r"The output layer, by differentiating $E$ directly; the range of $i$ is the output layer's units, $n^L$",
            corrected=r"\frac{\partial E}{\partial A^L_{ic}} = \tfrac{1}{m} \left( A^L_{ic} - Y_{ic} \right)"
                      r"\quad \text{for } i=1,\ldots,n^L,\ c=1,\ldots,m",
            check=Seed.output, counterexample=_range_counterexample, on_document=True),
]

NAME = "the post"        # how the document refers to it; its title and date are the notation's source
TAG = "Post"
TITLE = "The post's derivation"
NUMBERING = (r"the post numbers none of its displays, so they are numbered [1] to [8] here, in its order, "
             r"each with the index ranges the post states after it.")
READING = (r"Its symbols are this document's: layers $0, \ldots, L$, the data $X = A^0$ with sample $c$ in "
           r"column $c$, $Z^l_{ic} = \sum_j W^l_{ij} A^{l-1}_{jc} + b^l_i$, "
           r"$A^l = g^l(Z^l)$ for any differentiable $g^l$. Each member of a chain (the middle, with the factors "
           r"$\partial Z/\partial W$, $\partial A/\partial Z$, $\partial Z/\partial A$, and the right) is checked "
           r"against the true partial, never the chain rule.")
PROVENANCE = (r"The post names no $\delta$ and boxes nothing: its [4] to [8] are the chain-rule steps of the "
              r"text; naming $\partial E/\partial Z^l$ as $\delta^l$ turns [4] and [5] into this document's boxed "
              r"gradient equations, and [8], respectively [7], substituted into [6] gives its boxed $\delta^L$ and "
              r"$\delta^l$.")
