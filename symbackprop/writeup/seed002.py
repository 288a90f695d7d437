r"""Seed 002 ("Deriving the Back-Propagation Algorithm", ufldl notation), display by display.

The seed numbers none of its displays (one row carries \label{eq:gen}); they are numbered [1]..[11]
here in the seed's order, a display's rows being its members. Layers are 1..L (ours 0..L−1 of a
network of depth L−1); W^(l), b^(l) map layer l to l+1; one sample; J = ½‖a^(L) − y‖²; σ the
sigmoid; ε^(l)_q the seed's error (read here as the true ∂J/∂z^(l)_q, which display [8] shows it is).
Sums over q and r are implicit in the seed (it says so); here they run over the layers' units.
"""
from __future__ import annotations

import sympy as sp

from .numbers import number
from .seed_displays import ACT, ACT_PRIME, ERROR, D, Display, Member, Translator, point, point_value, sizes_text

# σ is never used as a formula in the seed (only σ and σ'), so the displays are checked with σ a generic
# differentiable function: that proves them for the sigmoid and for every other activation.
INSTANCE = {"sizes": (2, 2, 2, 1), "activations": "generic", "loss": "mse", "batch": 1}
NUMBERS = {**INSTANCE, "activations": "sigmoid"}           # the counterexamples: the seed's own σ, with values

a, z, W, b, x, y, eps, n = (sp.IndexedBase(s) for s in ("a", "z", "W", "b", "x", "y", "epsilon", "n"))


sigma, sigma_prime = ACT, ACT_PRIME              # σ(z^(l)_i), σ'(z^(l)_i): the network's activation of that layer


class Seed(Translator):
    """a^(l) = x for l = 1, our A^{l−1} after; z^(l) our Z^{l−1}; W^(l), b^(l) our W^l, b^l; ε^(l) = ∂J/∂z^(l)."""

    @property
    def top(self) -> int:                       # the seed's L: the output layer
        return self.L + 1

    def units(self, l: int) -> range:           # units of the seed's layer l
        return range(1, self.n[l - 1] + 1)

    def our_layer(self, node: sp.Indexed) -> int:
        return int(node.indices[0]) - 1

    def entry(self, base: str, *idx: int) -> sp.Expr:
        fp = self.fp
        if base in ("a", "n") or base == "x":
            l, i = (1, idx[0]) if base == "x" else ((self.top, idx[0]) if base == "n" else idx)
            return fp.X[i - 1, 0] if l == 1 else fp.A[l - 1][i - 1, 0]
        if base == "z":
            return fp.Z[idx[0] - 1][idx[1] - 1, 0]
        if base == "W":
            return fp.W[idx[0]][idx[1] - 1, idx[2] - 1]
        if base == "b":
            return fp.b[idx[0]][idx[1] - 1]
        if base == "y":
            return fp.Y[idx[0] - 1, 0]
        if base == "epsilon":
            return self.true_partial(fp.E, fp.Z[idx[0] - 1][idx[1] - 1, 0])
        raise KeyError(base)

    # --- members, in the seed's symbols ---

    def parameters(self, kind: str):
        for l in range(1, self.top):
            for i in self.units(l + 1):
                if kind == "b":
                    yield l, i, None, b[l, i]
                else:
                    for j in self.units(l):
                        yield l, i, j, W[l, i, j]

    def input_layer(self):
        return [Member(f"[3] x_{j} = a^(1)_{j}", x[j], a[1, j]) for j in self.units(1)]

    def forward(self):
        for l in range(1, self.top):
            for i in self.units(l + 1):
                zi = sp.Add(*[W[l, i, j] * a[l, j] for j in self.units(l)]) + b[l, i]
                yield Member(f"[4] z^({l + 1})_{i}", zi, z[l + 1, i])
                yield Member(f"[4] a^({l + 1})_{i}", sigma(z[l + 1, i]), a[l + 1, i])

    def output(self):
        return [Member(f"[5] n(x)_{q} = a^(L)_{q}", n[q], a[self.top, q]) for q in self.units(self.top)]

    def cost(self):
        return [Member("[6] J", sp.Rational(1, 2) * sp.Add(*[(n[q] - y[q]) ** 2 for q in self.units(self.top)]), ERROR)]

    def weight_chain(self):
        L, out = self.top, []
        qs, rs = self.units(L), self.units(L - 1)
        for l, i, j, w in self.parameters("W"):
            rows = [
                sp.Add(*[(n[q] - y[q]) * D(n[q], w) for q in qs]),
                sp.Add(*[(a[L, q] - y[q]) * D(a[L, q], w) for q in qs]),
                sp.Add(*[(a[L, q] - y[q]) * D(sigma(z[L, q]), w) for q in qs]),
                sp.Add(*[(a[L, q] - y[q]) * sigma_prime(z[L, q]) * D(z[L, q], w) for q in qs]),
                sp.Add(*[eps[L, q] * D(z[L, q], w) for q in qs]),
                sp.Add(*[eps[L, q] * D(sp.Add(*[W[L - 1, q, r] * a[L - 1, r] for r in rs]) + b[L - 1, q], w)
                         for q in qs]),
                eps[L, i] * a[L - 1, j] * sp.KroneckerDelta(l, L - 1)
                + sp.Add(*[eps[L, q] * W[L - 1, q, r] * D(a[L - 1, r], w) for q in qs for r in rs]),
            ]
            out += [Member(f"[8] row {k} for W^({l})_{i}{j}", row, D(ERROR, w)) for k, row in enumerate(rows, 1)]
        return out

    def bias_line(self, error_layer: int | None = None):
        """The corrected line (ε^(L)_q); ``error_layer`` l writes the seed's ε^(l)_q instead."""
        L, out = self.top, []
        for l, i, _, v in self.parameters("b"):
            e = L if error_layer is None else l
            claim = eps[L, i] * sp.KroneckerDelta(l, L - 1) + sp.Add(
                *[eps[e, q] * W[L - 1, q, r] * D(a[L - 1, r], v) for q in self.units(L) for r in self.units(L - 1)])
            out.append(Member(f"[10] for b^({l})_{i}", claim, D(ERROR, v)))
        return out

    def compact(self):
        L, out = self.top, []
        for l, i, j, w in self.parameters("W"):
            out.append(Member(f"[11] row 1 for W^({l})_{i}{j}", a[l, j] * eps[l + 1, i], D(ERROR, w)))
        for l, i, _, v in self.parameters("b"):
            out.append(Member(f"[11] row 2 for b^({l})_{i}", eps[l + 1, i], D(ERROR, v)))
        for l in range(2, L):
            for i in self.units(l):
                rec = sp.Add(*[eps[l + 1, q] * W[l, q, i] for q in self.units(l + 1)]) * sigma_prime(z[l, i])
                out.append(Member(f"[11] row 3 for ε^({l})_{i}", rec, eps[l, i]))
        for i in self.units(L):
            out.append(Member(f"[11] row 4 for ε^(L)_{i}", (a[L, i] - y[i]) * sigma_prime(z[L, i]), eps[L, i]))
        return out


def _point_words(t: Seed) -> str:
    """The fixed point of ``seed_displays.point`` written out in the post's symbols, so a reader can redo it."""
    value = {str(k): v for k, v in point(t.d).items()}
    net = t.d.net

    def matrix(rows: int, cols: int, name) -> str:          # exact quarters, as decimals: -0.75
        body = r" \\ ".join(" & ".join(f"{float(value[name(i, j)]):g}" for j in range(1, cols + 1))
                              for i in range(1, rows + 1))
        return rf"\left(\begin{{smallmatrix}} {body} \end{{smallmatrix}}\right)"
    parts = []
    for l in range(1, net.depth + 1):
        n_out, n_in = net.sizes[l], net.sizes[l - 1]
        parts.append(f"W^{{({l})}} = " + matrix(n_out, n_in, lambda i, j, l=l: f"W{l}_{i}_{j}"))
        parts.append(f"b^{{({l})}} = " + matrix(n_out, 1, lambda i, _, l=l: f"b{l}_{i}"))
    parts.append("x = " + matrix(net.sizes[0], 1, lambda i, _: f"X_{i}_1"))
    parts.append("y = " + matrix(net.sizes[-1], 1, lambda i, _: f"Y_{i}_1"))
    return "$" + "$, $".join(parts) + "$"


def _bias_counterexample(t: Seed) -> str:
    """The seed's bias line with ε^(l)_q against the true ∂J/∂b^(l)_i, at one point of the instance."""
    l = 2                                                  # the first layer where ε^(l) exists and l < L − 1
    wrong = next(m for m in t.bias_line(error_layer=l) if m.name == f"[10] for b^({l})_1")
    seed_value, true_value = point_value(t, wrong.claim), point_value(t, wrong.truth)
    return (f"on the {sizes_text(t.d.net)} sigmoid network at {_point_words(t)}, the line as written gives "
            rf"${number(seed_value, 6)}$ for $b^{{({l})}}_{{1}}$, "
            rf"while $\partial J/\partial b^{{({l})}}_{{1}} = {number(true_value, 6)}$")


def _output_counterexample(t: Seed) -> str:
    J = point_value(t, t.cost()[0].truth)
    return ("read with $y = a^{(L)}$, $J = \\tfrac{1}{2}\\lVert a^{(L)} - a^{(L)} \\rVert^2 = 0$ for every network, "
            f"while $J = {number(J, 6)}$ on the {sizes_text(t.d.net)} sigmoid network at {_point_words(t)}")


def _bias_set_counterexample(t: Seed) -> str:
    L = t.top
    return (f"at $l = 2$ the set is $\\{{b^{{(1)}}\\}}$, while a network with $L = {L}$ layers has the biases $"
            + ", ".join(f"b^{{({k})}}" for k in range(1, L)) + "$")


DISPLAYS = [
    Display("[1]", r"W=\{W^{(1)},\ldots,W^{(L-1)}\}", "definition",
            r"The weights: $W^{(l)}$ maps layer $l$ to $l + 1$; the document's $W^{(l)}$ is the same matrix"),
    Display("[2]", r"b=\{b^{(1)},\ldots,b^{(l-1)}\}", "slip",
            r"The set of biases: its last member is written with the layer variable $l$ for the number of layers $L$",
            corrected=r"b=\{b^{(1)},\ldots,b^{(L-1)}\}",
            counterexample=_bias_set_counterexample),
    Display("[3]", r"x = a^{(1)}", "definition", r"Layer 1 is the input, the document's $a^{(1)} = x$",
            check=Seed.input_layer),
    Display("[4]", r"z^{(l+1)} = W^{(l)}a^{(l)} + b^{(l)} \\ a^{(l+1)} = \sigma( z^{(l+1)})", "definition",
            "The forward pass (the network): checked to be the network's own at every layer and unit",
            check=Seed.forward),
    Display("[5]", r"y = n_{W,b}(x) = a^{(L)}", "slip",
            r"Here $y$ names the output, and in [6] the target: the output is $a^{(L)}$, the target $y$ "
            r"(the post's $n_{W,b}$ is UFLDL's $h_{W,b}$)",
            corrected=r"n_{W,b}(x) = a^{(L)}",
            check=Seed.output, counterexample=_output_counterexample),
    Display("[6]", r"J(W,x,y) = \frac{1}{2}\lVert n_{W,b}(x) - y \rVert^2", "definition",
            r"The cost of one sample: the squared error, checked to be the network's $J$", check=Seed.cost),
    Display("[7]", r"\frac{\partial J(W,x,y)}{\partial W^{(l)}_{ij}}", "quantity", "What is sought, for every weight"),
    Display("[8]", "\n".join([
        r"\frac{\partial J(W,x,y)}{\partial W^{(l)}_{ij}} &= (n_{W,b}(x)_q - y_q) "
        r"\frac{\partial n_{W,b}(x)_q}{\partial W^{(l)}_{ij}}\\",
        r"&=(a^{(L)}_q - y_q)\frac{\partial a_q^{(L)}}{\partial W^{(l)}_{ij}}\\",
        r"&=(a^{(L)}_q - y_q)\frac{\partial \sigma(z^{(L)}_q)}{\partial W^{(l)}_{ij}}\\",
        r"&=(a^{(L)}_q - y_q)\sigma'(z^{(L)}_q)\frac{\partial z^{(L)}_q}{\partial W^{(l)}_{ij}}\\",
        r"&=\epsilon_q^{(L)}\frac{\partial z^{(L)}_q}{\partial W^{(l)}_{ij}}\\",
        r"&=\epsilon_q^{(L)}\frac{\partial (W^{(L-1)}_{qr}a_r^{(L-1)} + b_q^{(L-1)})}{\partial W^{(l)}_{ij}}\\",
        r"&=\epsilon_i^{(L)}a_j^{(L-1)}\delta_{(l,L-1)} "
        r"+ \epsilon_q^{(L)}W^{(L-1)}_{qr}\frac{\partial a_r^{(L-1)}}{\partial W^{(l)}_{ij}}"]),
            "step", r"The chain rule from the output back, $q$ and $r$ summed; the sixth row is the post's general "
            r"equation (the one it labels), the last its recursion, $\delta_{(l,L-1)}$ being 1 when $l = L - 1$ "
            r"and 0 otherwise (a Kronecker delta, not an error)",
            check=Seed.weight_chain),
    Display("[9]", r"\frac{\partial J(W,x,y)}{\partial b_i^{(l)}}", "quantity", "What is sought, for every bias"),
    Display("[10]", r"\frac{\partial J(W,x,y)}{\partial b_i^{(l)}} = \epsilon_i^{(L)}\delta_{(l,L-1)} + "
                    r"\epsilon_q^{(l)}W^{(L-1)}_{qr}\frac{\partial a_r^{(L-1)}}{\partial b_i^{(l)}}", "slip",
            r"The error in the second term is the output layer's, as in [8]; $\epsilon^{(l)}$ is another layer's "
            r"(and $\epsilon^{(1)}$ does not exist: layer 1 has no $z$)",
            corrected=r"\frac{\partial J(W,x,y)}{\partial b_i^{(l)}} = \epsilon_i^{(L)}\delta_{(l,L-1)} + "
                      r"\epsilon_q^{(L)}W^{(L-1)}_{qr}\frac{\partial a_r^{(L-1)}}{\partial b_i^{(l)}}",
            check=Seed.bias_line, counterexample=_bias_counterexample),
    Display("[11]", "\n".join([
        r"\frac{\partial J(W,x,y)}{\partial W^{(l)}_{ij}} &= a_j^{(l)}\epsilon_i^{(l+1)}\\",
        r"\frac{\partial J(W,x,y)}{\partial b^{(l)}_{i}} &= \epsilon_i^{(l+1)}\\",
        r"\epsilon_i^{(l)} & = \epsilon_q^{(l+1)}W^{(l)}_{qi}\sigma'(z_i^{(l)})\\",
        r"\epsilon_i^{(L)} & = (a^{(L)}_i - y_i)\sigma'(z^{(L)}_i)"]),
            "result", r"The back-propagation equations, $q$ summed: the boxed equations of the document, "
            r"here as the post writes them",
            check=Seed.compact),
]

NAME = "the post"        # how the document refers to it; its title is the notation's source
TAG = "Post"
TITLE = "The post's derivation"
NUMBERING = (r"the post numbers none of its displays (it labels one row, without a number), so they are numbered "
             r"[1] to [11] here, in its order.")
READING = (r"Its layers are $1, \ldots, L$ with the input $a^{(1)} = x$, as in this document; $W^{(l)}$ and $b^{(l)}$ "
           r"map layer $l$ to $l + 1$; it takes one sample, and its error is this document's "
           r"$\epsilon^{(l)}_q = \partial J/\partial z^{(l)}_q$ (display [8] shows it). Sums over $q$ and $r$ are "
           r"implicit (the post says so for $q$).")
PROVENANCE = (r"The boxed equations of the text are the post's last display, [11], written in this document's "
              r"symbols.")
