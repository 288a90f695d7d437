r"""Seed 001 (Brawer, "Derivation of Back Propagation Equations", theta notation), display by display.

Every display the seed numbers, with its own number, and the three it leaves unnumbered (named here
by the number they follow). Layers 1..L (ours 0..L−1); node 0 of every layer is the bias node, z_0 = 1;
θ^(l)_{p,q} goes from node q of layer l to node p of layer l + 1, θ^(l)_{p,0} the bias; J is the
cross-entropy of sigmoid outputs; δ^l_p of sample i is, by the seed's definitions, m ∂J/∂z^l_p, and
is read as that true partial here, so every definition of δ is checked, not assumed.

The seed's devices (C, θ_{0,k}, z_0 = 1, the factor (1 − I_{p,0})) are translated as it defines them:
θ_{0,k} is 1 for k = 0 and 0 otherwise, C^l_{j,0} = 1/h^l(1), z_0 = 1, I the Kronecker delta.
"""
from __future__ import annotations

import sympy as sp

from .seed_displays import ERROR, D, Display, Member, Translator

# The chain-rule displays hold for any differentiable h of the hidden layers: checked with generic hidden
# activations (for every h, and fast) and the seed's sigmoid at the output, with one sample (the exact proofs
# of the cross-entropy's logarithms grow fast with the batch). The displays about the sigmoid ((15a)) are
# checked on an all-sigmoid network; the cross-entropy's (19) and the logistic regression of (28), (29) on a
# two-sample network with L = 2, where the sum over samples and 1/m are seen.
INSTANCE = {"sizes": (1, 2, 2, 1), "activations": ("generic", "generic", "sigmoid"), "loss": "bce", "batch": 1}
NUMBERS = {**INSTANCE, "activations": "sigmoid", "batch": 2}
NETWORKS = {"sigmoid": {**INSTANCE, "activations": "sigmoid"},
            "logistic": {"sizes": (2, 1), "activations": "sigmoid", "loss": "bce", "batch": 2}}

z, x, y, theta, C, I, delta = (sp.IndexedBase(s) for s in ("z", "x", "y", "theta", "C", "I", "delta"))
h, Psi = sp.Function("h"), sp.Function("Psi")          # h(l, z) = h^(l)(z), Psi(l, z) = Ψ^(l)(z)


class Seed(Translator):
    """Seed layer l is our layer l − 1; θ^(l) is our layer l's [b^l | W^l]; δ^l_p (sample i) = m ∂J/∂Z^{l−1}_{p,i}."""

    @property
    def top(self) -> int:
        return self.L + 1

    def s(self, l: int) -> int:                        # s_l, the nodes of layer l without the bias node
        return self.n[l - 1]

    def nodes(self, l: int, bias: bool = False) -> range:
        return range(0 if bias else 1, self.s(l) + 1)

    @property
    def samples(self) -> range:
        return range(1, self.m + 1)

    def h_of(self, l: int, t: sp.Expr) -> sp.Expr:
        if l == 1:
            return t
        u = sp.Dummy("u")
        return self.d.net.rule(l - 1).formula(u, l - 1).subs(u, t)

    def translate(self, e: sp.Expr) -> sp.Expr:
        if getattr(e, "func", None) in (h, Psi):
            layer, arg = e.args
            t, u = self.translate(arg), sp.Dummy("u")
            return self.h_of(int(layer), t) if e.func == h else sp.diff(self.h_of(int(layer), u), u).subs(u, t)
        return super().translate(e)

    def entry(self, base: str, *idx: int) -> sp.Expr:
        fp = self.fp
        if base in ("z", "x"):
            l, k, i = (1, *idx) if base == "x" else idx
            if k == 0:
                return sp.Integer(1)                              # (1a), (8): the bias node
            return fp.X[k - 1, i - 1] if l == 1 else fp.Z[l - 1][k - 1, i - 1]
        if base == "y":
            return fp.Y[idx[0] - 1, idx[1] - 1]
        if base == "theta":
            l, p, q = idx
            if p == 0:
                return sp.Integer(1 if q == 0 else 0)             # (6)
            return fp.b[l][p - 1] if q == 0 else fp.W[l][p - 1, q - 1]
        if base == "C":
            l, _, k = idx
            return 1 / self.h_of(l, sp.Integer(1)) if k == 0 else sp.Integer(1)   # (7)
        if base == "I":
            return sp.KroneckerDelta(*idx)
        if base == "delta":
            l, p, i = idx
            if p == 0:
                return sp.Integer(0)                              # the factor (1 − I_{p,0})
            return self.m * self.true_partial(fp.E, fp.Z[l - 1][p - 1, i - 1])
        if base == "sample":
            if not 1 <= idx[0] <= self.m:
                raise IndexError(f"sample {idx[0]} does not exist: J (18) sums i = 1..m, m = {self.m}")
            return sp.Integer(1)
        raise KeyError(base)

    # --- the seed's quantities, in its symbols ---

    def M(self, l: int, j: int, k: int, i: int) -> sp.Expr:
        """(31): M^l_{j,k} = θ^(l)_{j,k} C^(l)_{j,k} Ψ^(l)(z^(l)_k)."""
        return theta[l, j, k] * C[l, j, k] * Psi(l, z[l, k, i])

    def unit(self, l: int, j: int, i: int, first: int = 0) -> sp.Expr:
        """The sum of (5) for node j of layer l + 1: Σ_k θ^(l)_{j,k} h^(l)(z^(l)_k) C^(l)_{j,k}."""
        return sp.Add(*[theta[l, j, k] * h(l, z[l, k, i]) * C[l, j, k] for k in range(first, self.s(l) + 1)])

    def weights(self, layers=None):
        """θ^(l)_{p,q}, p ≥ 1 (θ_{0,k} is a constant), q ≥ 0, for the weight layers l given (all by default)."""
        for l in layers if layers is not None else range(1, self.top):
            for p in self.nodes(l + 1):
                for q in self.nodes(l, bias=True):
                    yield l, p, q, theta[l, p, q]

    def mean(self, term, first: int = 1) -> sp.Expr:
        """(1/m) Σ_{i=first}^m term(i); a sample outside 1..m is an error (the seed's i = 0)."""
        return sp.Add(*[sp.IndexedBase("sample")[i] * term(i) for i in range(first, self.m + 1)]) / self.m

    # --- members, display by display ---

    def eq1(self):
        return [Member(f"(1) z^1_{k} sample {i}", x[k, i], z[1, k, i]) for i in self.samples
                for k in self.nodes(1, bias=True)]

    def eq5(self):
        out = [Member(f"(5) z^1_{j} sample {i}", x[j, i], z[1, j, i]) for i in self.samples for j in self.nodes(1)]
        for l in range(2, self.top + 1):
            out += [Member(f"(5) z^{l}_{j} sample {i}", self.unit(l - 1, j, i), z[l, j, i])
                    for i in self.samples for j in self.nodes(l)]
        return out

    def eq8(self):
        return [Member(f"(8) z^{l}_0 sample {i}", self.unit(l - 1, 0, i), sp.Integer(1))
                for l in range(2, self.top + 1) for i in self.samples]

    def eq8a(self):
        out = []
        for l in range(2, self.top + 1):
            for j in self.nodes(l):
                for i in self.samples:
                    rest = self.unit(l - 1, j, i, first=1)
                    out += [Member(f"(8a) row 1, z^{l}_{j} sample {i}",
                                   theta[l - 1, j, 0] * h(l - 1, z[l - 1, 0, i]) * C[l - 1, j, 0] + rest, z[l, j, i]),
                            Member(f"(8a) row 2, z^{l}_{j} sample {i}", theta[l - 1, j, 0] + rest, z[l, j, i])]
        return out

    def eq10(self):
        ws = list(self.weights())
        return [Member(f"(10) θ^{l}_{a},{b_} by θ^{k}_{p},{q}", I[a, p] * I[b_, q] * I[l, k], D(t1, t2))
                for l, a, b_, t1 in ws for k, p, q, t2 in ws]

    def _first_layer_partials(self, number: str, claim):
        """∂z^l_j/∂θ^(l−1)_{p,q}, l ≥ 2, j ≥ 1: ``claim(l, j, p, q, i)`` for every index."""
        out = []
        for l in range(2, self.top + 1):
            for _, p, q, t in self.weights([l - 1]):
                for j in self.nodes(l):
                    for i in self.samples:
                        value = claim(l, j, p, q, i)
                        if value is not None:
                            out.append(Member(f"{number} z^{l}_{j} by θ^{l - 1}_{p},{q} sample {i}", value,
                                              D(z[l, j, i], t)))
        return out

    def eq11(self):
        return self._first_layer_partials("(11)", lambda l, j, p, q, i: D(self.unit(l - 1, j, i), theta[l - 1, p, q]))

    def eq12(self):
        return self._first_layer_partials(
            "(12)", lambda l, j, p, q, i: I[p, j] * h(l - 1, z[l - 1, q, i]) * C[l - 1, p, q])

    def eq13(self):
        return self._first_layer_partials("(13)", lambda l, j, p, q, i: I[p, j] if q == 0 else None)

    def eq14(self):
        return self._first_layer_partials("(14)", lambda l, j, p, q, i: I[p, j] * x[q, i] if l == 2 else None)

    def eq15a(self):
        out = [Member(f"(15a) Ψ^1 at z^1_{k} sample {i}", sp.Integer(1), Psi(1, z[1, k, i]))
               for k in self.nodes(1) for i in self.samples]
        for l in range(2, self.top + 1):
            out += [Member(f"(15a) Ψ^{l} at z^{l}_{k} sample {i}", h(l, z[l, k, i]) * (1 - h(l, z[l, k, i])),
                           Psi(l, z[l, k, i])) for k in self.nodes(l) for i in self.samples]
        return out

    def _second_layer_partials(self, number: str, rows, top: int | None = None, first_j: int = 1):
        """∂z^l_j/∂θ^(l−2)_{p,q} (or, with ``top``, ∂z^top_j only): each of ``rows(l, j, p, q, i)``."""
        out = []
        for l in ([top] if top else range(3, self.top + 1)):
            for _, p, q, t in self.weights([l - 2]):
                for j in range(first_j, self.s(l) + 1):
                    for i in self.samples:
                        out += [Member(f"{number} row {r} z^{l}_{j} by θ^{l - 2}_{p},{q} sample {i}", claim,
                                       D(z[l, j, i], t)) for r, claim in enumerate(rows(l, j, p, q, i), 1)]
        return out

    def eq16(self):
        def rows(l, j, p, q, i):
            t, ks = theta[l - 2, p, q], self.nodes(l - 1, bias=True)
            return [sp.Add(*[theta[l - 1, j, k] * C[l - 1, j, k] * D(h(l - 1, z[l - 1, k, i]), t) for k in ks]),
                    sp.Add(*[theta[l - 1, j, k] * C[l - 1, j, k] * Psi(l - 1, z[l - 1, k, i])
                             * D(self.unit(l - 2, k, i), t)
                             for k in ks])]
        return self._second_layer_partials("(16)", rows)

    def eq17(self):
        return self._second_layer_partials("(17)", lambda l, j, p, q, i: [
            theta[l - 1, j, p] * C[l - 1, j, p] * Psi(l - 1, z[l - 1, p, i]) * h(l - 2, z[l - 2, q, i])
            * C[l - 2, p, q]])

    def eq17a(self):
        return [m for m in self._second_layer_partials("(17a)", lambda l, j, p, q, i: [
            theta[l - 1, j, p] * Psi(l - 1, z[l - 1, p, i])]) if ",0 " in m.name]

    def cost(self):
        L = self.top
        terms = [y[k, i] * sp.log(h(L, z[L, k, i])) + (1 - y[k, i]) * sp.log(1 - h(L, z[L, k, i]))
                 for i in self.samples for k in self.nodes(L)]
        return [Member("(18) J", -sp.Add(*terms) / self.m, ERROR)]

    def _gradients(self, number: str, claim, layers=None):
        return [Member(f"{number} for θ^{l}_{p},{q}", claim(l, p, q, t), D(ERROR, t))
                for l, p, q, t in self.weights(layers)]

    def eq19(self):
        L = self.top
        return self._gradients("(19)", lambda l, p, q, t: self.mean(lambda i: sp.Add(*[
            (h(L, z[L, k, i]) - y[k, i]) * D(z[L, k, i], t) for k in self.nodes(L)])))

    def eq20(self):
        L = self.top
        return [Member(f"(20) δ^L_{p} sample {i}", (h(L, z[L, p, i]) - y[p, i]) * (1 - I[p, 0]), delta[L, p, i])
                for p in self.nodes(L) for i in self.samples]

    def eq21(self):
        L = self.top
        return self._gradients("(21)", lambda l, p, q, t: self.mean(lambda i: sp.Add(*[
            delta[L, k, i] * D(z[L, k, i], t) for k in self.nodes(L)])))

    def _output_partials(self, number: str, claim, layers=None):
        L = self.top
        return [Member(f"{number} z^L_{k} by θ^{l}_{p},{q} sample {i}", value, D(z[L, k, i], t))
                for l, p, q, t in self.weights(layers) for k in self.nodes(L) for i in self.samples
                if (value := claim(l, p, q, t, k, i)) is not None]

    def eq22(self):
        return self._output_partials("(22)", lambda l, p, q, t, k, i: D(self.unit(self.top - 1, k, i), t))

    def eq23(self):
        return self._output_partials("(23)", lambda l, p, q, t, k, i: D(self.unit(self.top - 1, k, i), t),
                                     [self.top - 1])

    def eq24(self):
        L = self.top
        return self._output_partials("(24)", lambda l, p, q, t, k, i: I[p, k] * h(L - 1, z[L - 1, q, i])
                                     * C[L - 1, p, q], [L - 1])

    def eq25(self):
        return self._output_partials("(25)", lambda l, p, q, t, k, i: I[p, k] if q == 0 else None, [self.top - 1])

    def eq26(self):
        L = self.top
        return self._gradients("(26)", lambda l, p, q, t: self.mean(
            lambda i: delta[L, p, i] * h(L - 1, z[L - 1, q, i]) * C[L - 1, p, q]), [L - 1])

    def eq27(self):
        L = self.top
        return [m for m in self._gradients("(27)", lambda l, p, q, t: self.mean(lambda i: delta[L, p, i]), [L - 1])
                if m.name.endswith(",0")]

    def eq28(self):                                # L = 2, K = 1: logistic regression
        return [Member(f"(28) for θ^1_1,{q}", self.mean(lambda i, q=q: delta[2, 1, i] * x[q, i]),
                       D(ERROR, theta[1, 1, q]))
                for q in self.nodes(1, bias=True)]

    def eq29(self):
        return [Member(f"(29) for θ_{q}", self.mean(lambda i, q=q: (h(2, z[2, 1, i]) - y[1, i]) * x[q, i]),
                       D(ERROR, theta[1, 1, q])) for q in self.nodes(1, bias=True)]

    def eq29a(self):
        L = self.top

        def rows(l, k0, p, q, i):
            t, ks = theta[L - 2, p, q], self.nodes(L - 1, bias=True)
            return [D(self.unit(L - 1, k0, i), t),
                    sp.Add(*[theta[L - 1, k0, k] * C[L - 1, k0, k] * D(h(L - 1, z[L - 1, k, i]), t) for k in ks]),
                    sp.Add(*[theta[L - 1, k0, k] * C[L - 1, k0, k] * Psi(L - 1, z[L - 1, k, i])
                             * D(self.unit(L - 2, k, i), t) for k in ks])]
        return self._second_layer_partials("(29a)", rows, top=L)

    def eq30(self):
        L = self.top
        return self._second_layer_partials("(30)", lambda l, k0, p, q, i: [
            theta[L - 1, k0, p] * C[L - 1, k0, p] * Psi(L - 1, z[L - 1, p, i]) * h(L - 2, z[L - 2, q, i])
            * C[L - 2, p, q]], top=L)

    def eq30_bias(self):
        return [Member(f"(after 30) z^L_0 by θ^{l}_{p},{q}", sp.Integer(0), D(z[self.top, 0, 1], t))
                for l, p, q, t in self.weights([self.top - 2])]

    def eq32(self):
        L = self.top
        return self._second_layer_partials("(32)", lambda l, k0, p, q, i: [
            self.M(L - 1, k0, p, i) * h(L - 2, z[L - 2, q, i]) * C[L - 2, p, q]], top=L)

    def eq33(self):
        L = self.top
        return self._gradients("(33)", lambda l, p, q, t: self.mean(lambda i: sp.Add(*[
            delta[L, k, i] * self.M(L - 1, k, p, i) * h(L - 2, z[L - 2, q, i]) * C[L - 2, 1, q]
            for k in self.nodes(L)])), [L - 2])

    def eq33a(self):
        return [Member(f"(33a) C^{l}_{p},{q}", C[l, p, q], C[l, 1, q]) for l, p, q, _ in self.weights()]

    def _delta_definition(self, number: str, l: int, claim):
        return [Member(f"{number} δ^{l}_{p} sample {i}", claim(p, i), delta[l, p, i])
                for p in self.nodes(l, bias=True) for i in self.samples]

    def eq34(self):
        L = self.top
        return self._delta_definition("(34)", L - 1, lambda p, i: sp.Add(*[
            delta[L, k, i] * self.M(L - 1, k, p, i) for k in self.nodes(L)]) * (1 - I[p, 0]))

    def eq35(self):
        L = self.top
        return self._gradients("(35)", lambda l, p, q, t: self.mean(
            lambda i: delta[L - 1, p, i] * h(L - 2, z[L - 2, q, i]) * C[L - 2, 1, q]), [L - 2])

    def _third(self, number: str, rows):
        """∂z^L_{k0}/∂θ^(L−3)_{p,q}: each of ``rows(k0, p, q, i)``."""
        L = self.top
        return [Member(f"{number} row {r} z^L_{k0} by θ^{L - 3}_{p},{q} sample {i}", claim, D(z[L, k0, i], t))
                for _, p, q, t in self.weights([L - 3]) for k0 in self.nodes(L) for i in self.samples
                for r, claim in enumerate(rows(k0, p, q, i), 1)]

    def eq36(self):
        L = self.top

        def outer(k0, i, inner):
            return sp.Add(*[theta[L - 1, k0, k1] * C[L - 1, k0, k1] * Psi(L - 1, z[L - 1, k1, i]) * inner(k1)
                            for k1 in self.nodes(L - 1, bias=True)])

        def rows(k0, p, q, i):
            t = theta[L - 3, p, q]
            return [outer(k0, i, lambda k1: D(self.unit(L - 2, k1, i), t)),
                    outer(k0, i, lambda k1: sp.Add(*[
                        theta[L - 2, k1, k2] * C[L - 2, k1, k2] * Psi(L - 2, z[L - 2, k2, i])
                        * D(self.unit(L - 3, k2, i), t) for k2 in self.nodes(L - 2, bias=True)]))]
        return self._third("(36)", rows)

    def eq37(self):
        L = self.top
        return self._third("(37)", lambda k0, p, q, i: [sp.Add(*[
            self.M(L - 1, k0, k1, i) * self.M(L - 2, k1, p, i) for k1 in self.nodes(L - 1)])
            * C[L - 3, 1, q] * h(L - 3, z[L - 3, q, i])])

    def eq39(self):
        L = self.top
        tail = lambda q, i: C[L - 3, 1, q] * h(L - 3, z[L - 3, q, i])  # noqa: E731
        return [m for r, claim in enumerate([
            lambda l, p, q, t: self.mean(lambda i: sp.Add(*[
                delta[L, k0, i] * self.M(L - 1, k0, k1, i) * self.M(L - 2, k1, p, i) * tail(q, i)
                for k0 in self.nodes(L, bias=True) for k1 in self.nodes(L - 1)])),
            lambda l, p, q, t: self.mean(lambda i: sp.Add(*[
                delta[L - 1, k1, i] * self.M(L - 2, k1, p, i) * tail(q, i) for k1 in self.nodes(L - 1)]))], 1)
            for m in self._gradients(f"(39) row {r}", claim, [L - 3])]

    def eq40(self):
        L = self.top
        return self._delta_definition("(40)", L - 2, lambda p, i: sp.Add(*[
            delta[L - 1, k, i] * self.M(L - 2, k, p, i) for k in self.nodes(L - 1)]) * (1 - I[p, 0]))

    def eq41(self, first: int = 1):
        L = self.top
        return self._gradients("(41)", lambda l, p, q, t: self.mean(
            lambda i: delta[L - 2, p, i] * C[L - 3, 1, q] * h(L - 3, z[L - 3, q, i]), first), [L - 3])

    def eq42(self):
        return [Member(m.name.replace("(20)", "(42)"), m.claim, m.truth) for m in self.eq20()]

    def eq43(self):
        return [m for l in range(2, self.top) for m in self._delta_definition(
            f"(43) l = {l}", l, lambda p, i, l=l: sp.Add(*[
            delta[l + 1, k, i] * theta[l, k, p] for k in self.nodes(l + 1)]) * Psi(l, z[l, p, i]) * (1 - I[p, 0]))]

    def eq44(self, first: int = 1):
        return self._gradients("(44)", lambda l, p, q, t: self.mean(
            lambda i: delta[l + 1, p, i] * C[l, 1, q] * h(l, z[l, q, i]), first))

    def eq45(self):
        return [Member(f"(45) q = {q} sample {i}", h(1, z[1, q, i]) * C[1, 1, q], x[q, i])
                for q in self.nodes(1, bias=True) for i in self.samples]

    def eq46(self, first: int = 1):
        return [m for m in self._gradients("(46)", lambda l, p, q, t: self.mean(lambda i: delta[l + 1, p, i], first))
                if m.name.endswith(",0")]

    def theta_matrix(self, l: int) -> sp.Matrix:
        """θ^(l) as computed: s_{l+1} × (s_l + 1), rows p ≥ 1, columns q = 0..s_l."""
        return sp.Matrix(self.s(l + 1), self.s(l) + 1, lambda r, q: theta[l, r + 1, q])

    def eq47(self):
        out = []
        for l in range(2, self.top):
            for i in self.samples:
                column = sp.Matrix([delta[l + 1, k, i] for k in self.nodes(l + 1)])
                product = self.theta_matrix(l).T * column               # (θ^(l)T δ^{l+1}): entries q = 0..s_l
                out += [Member(f"(47) l = {l}, p = {p}, sample {i}", product[p],
                               sp.Add(*[delta[l + 1, k, i] * theta[l, k, p] for k in self.nodes(l + 1)]))
                        for p in self.nodes(l)]
        return out

    def eq48(self):
        out = []
        for l in range(2, self.top):
            for i in self.samples:
                column = sp.Matrix([delta[l + 1, k, i] for k in self.nodes(l + 1)])
                product = self.theta_matrix(l).T * column
                out += [Member(f"(48) δ^{l}_{p} sample {i}", product[p] * Psi(l, z[l, p, i]), delta[l, p, i])
                        for p in self.nodes(l)]
        return out


def _sample_zero(t: Seed) -> str:
    """The seed's sum from i = 0 asks for a sample J does not have (the translation refuses it)."""
    try:
        t.entry("sample", 0)
    except IndexError as error:
        if f"sample 0 does not exist: J (18) sums i = 1..m, m = {t.m}" != str(error):
            raise AssertionError(f"sample 0 refused for another reason: {error}") from error
        return ("$J$ in (18) sums over $i = 1, \\ldots, m$: there is no sample 0, so the $i = 0$ term stands for "
                "nothing")
    raise AssertionError("sample 0 translated")


SUM_I0 = r"\frac{1}{m} \sum_{i=0}^m"
SUM_I1 = r"\frac{1}{m} \sum_{i=1}^m"
D44 = r"\frac{\partial J}{\partial \theta_{p,q}^l} = "
DISPLAYS = [
    Display("(1)", r"z_k^1 = x_k.", "definition",
            r"The input layer, $k = 0, 1, 2, \ldots$: this document's $z^{(1)} = x$",
            check=Seed.eq1),
    Display("(1a)", r"z_0^l = 1", "device", r"The bias node of every layer; this document has no node 0 and keeps "
            r"only its weights' column $\theta^{(l)}_{p,0}$, the bias of node $p$", ),
    Display("(2)", r"h(z) \equiv \frac{1}{1 + \ell^{-z}}", "definition",
            r"The sigmoid ($\ell$ is Brawer's $e$)"),
    Display("(3)", r"h^l(z) \equiv \begin{cases} \frac{1}{1 + \ell^{-z}} & \text{if } l > 1 \\ z & \text{if } l = 1 "
                   r"\end{cases}", "definition", r"Layer 1's node function is the identity, so that (5) reads $x$"),
    Display("(5)", r"z_j^l = \begin{cases} x_j & l = 1 \\ \sum_{k=0}^{s_{l-1}} \theta_{j,k}^{(l-1)} h^{(l-1)}"
                   r"(z_k^{(l-1)}) C_{j,k}^{(l-1)} & l=2,3,\dots,L \end{cases}", "definition",
            r"The forward pass: checked to be this network's at every layer, node $j \ge 1$ and sample",
            check=Seed.eq5),
    Display("(6)", r"\theta_{0,k}^l \equiv \begin{cases} 1 & k = 0 \\ 0 & k > 0 \end{cases}", "device",
            r"Weights into the bias node, so that (5) also gives $z_0 = 1$; this document has no such weights"),
    Display("(7)", r"C_{j,k}^l \equiv \begin{cases} \frac{1}{h^l(1)} & \text{if } k = 0 \\ 1 & \text{otherwise} "
                   r"\end{cases}", "device", r"Undoes $h$ on the bias node: $h^l(z_0) C_{j,0} = 1$"),
    Display("(8)", r"z_0^l = 1", "result",
            r"(5) at $j = 0$ with (1), (6), (7): checked at every layer $l \ge 2$ and sample",
            check=Seed.eq8),
    Display("(8a)", r"z_j^l &= \theta_{j,0}^{(l-1)} h^{(l-1)} \left(z_0^{(l-1)} \right) C_{j,0}^{(l-1)} + k > 0 "
                    r"\text{ terms} \\" "\n" r"&= \theta_{j,0}^{(l-1)} + k > 0 \text{ terms}", "step",
            r"The bias node's term of (5) is the bias $\theta_{j,0}^{(l-1)}$, as this document writes it",
            check=Seed.eq8a),
    Display("(after 8a)", r"\theta_{\text{index of layer } l, \text{ index of layer } l-1}^{l-1}", "definition",
            r"How to read $\theta$'s indices (unnumbered in Brawer)"),
    Display("(after 8a, 2)", r"\theta_{p,q}^{l-1}", "definition",
            r"From node $q$ of layer $l-1$ to node $p$ of layer $l$ (unnumbered in Brawer)"),
    Display("(9)", r"I_{p,q} = \begin{cases} 1 & \text{if } p = q \\ 0 & \text{otherwise} \end{cases}", "definition",
            r"The Kronecker delta, named $I$ because $\delta$ is taken"),
    Display("(10)", r"\frac{\partial \theta_{a,b}^l}{\partial \theta_{p,q}^{l'}} = I_{a,p} I_{b,q} I_{l,l'} "
                    r"\quad p > 0",
            "result", r"For every pair of weights with $a, p > 0$", check=Seed.eq10),
    Display("(11)", r"\frac{\partial z_j^l}{\partial \theta_{p,q}^{(l-1)}} = \frac{\partial}{\partial "
                    r"\theta_{p,q}^{(l-1)}} \sum_{k=0}^{s_{l-1}} \theta_{j,k}^{(l-1)} h^{(l-1)}(z_k^{(l-1)}) "
                    r"C_{j,k}^{(l-1)}", "step", r"(5) differentiated, $l > 1$, $p > 0$", check=Seed.eq11),
    Display("(12)", r"\frac{\partial z_j^l}{\partial \theta_{p,q}^{(l-1)}} = I_{p,j} h^{(l-1)}(z_q^{(l-1)}) "
                    r"C_{p,q}^{(l-1)}", "result", r"For $l > 1$, $p > 0$, every $j$, $q$", check=Seed.eq12),
    Display("(13)", r"\frac{\partial z_j^l}{\partial \theta_{p,0}^{(l-1)}} = I_{p,j}", "result",
            r"The $q = 0$ term: the bias", check=Seed.eq13),
    Display("(14)", r"\frac{\partial z_j^2}{\partial \theta_{p,q}^{(1)}} = I_{p,j} x_q", "result",
            r"$l = 2$, $p > 0$, $q = 0, \ldots, n$ (Brawer's $n$ is $s_1$, the number of inputs)", check=Seed.eq14),
    Display("(15)", r"\Psi^{(l)}(z) \equiv \frac{\partial h^{(l)}(z)}{\partial z}", "definition",
            r"$\Psi$ is the derivative of the node function, as this document writes it"),
    Display("(15a)", r"\Psi^{(l)}(z) = \begin{cases} h(z)(1 - h(z)) & \text{when } l > 1 \\ 1 & \text{when } l = 1 "
                     r"\end{cases}", "result", r"The sigmoid's derivative, at every node",
            check=Seed.eq15a, network="sigmoid"),
    Display("(16)", r"\frac{\partial z_j^l}{\partial \theta_{p,q}^{(l-2)}} &= \sum_{k=0}^{s_{l-1}} "
                    r"\theta_{j,k}^{(l-1)} C_{j,k}^{(l-1)} \frac{\partial}{\partial \theta_{p,q}^{(l-2)}} "
                    r"h^{(l-1)}(z_k^{l-1}) \\" "\n"
                    r"&= \sum_{k=0}^{s_{l-1}} \theta_{j,k}^{(l-1)} C_{j,k}^{(l-1)} \Psi^{(l-1)}(z_k^{l-1}) \\" "\n"
                    r"&\qquad \times \frac{\partial}{\partial \theta_{p,q}^{(l-2)}} \sum_{r=0}^{s_{l-2}} "
                    r"\theta_{k,r}^{(l-2)} h^{(l-2)}(z_r^{(l-2)}) C_{k,r}^{(l-2)}", "step",
            r"The chain rule through $h^{(l-1)}$, $l \ge 3$", check=Seed.eq16),
    Display("(17)", r"\frac{\partial z_j^l}{\partial \theta_{p,q}^{(l-2)}} = \theta_{j,p}^{(l-1)} C_{j,p}^{(l-1)} "
                    r"\Psi^{(l-1)}(z_p^{l-1}) h^{(l-2)}(z_q^{(l-2)}) C_{p,q}^{(l-2)}", "result",
            r"Only $k = p$ and $r = q$ survive", check=Seed.eq17),
    Display("(17a)", r"\frac{\partial z_j^l}{\partial \theta_{p,0}^{(l-2)}} = \theta_{j,p}^{(l-1)} "
                     r"\Psi^{(l-1)}(z_p^{l-1})", "result", r"$q = 0$, $j > 0$", check=Seed.eq17a),
    Display("(18)", r"J &\equiv -\frac{1}{m} \sum_{i=1}^m \sum_{k_0=1}^{s_L} \Big[y \ln \left(h^{(L)} \left("
                    r"z_{k_0}^L \right) \right) \\" "\n" r"&\qquad + (1-y) \ln \left(1 - h^{(L)} \left(z_{k_0}^L "
                    r"\right) \right) \Big]", "definition",
            r"The cross-entropy; its $y$ is the target of output node $k_0$ in sample $i$ ($y_{k_0}$): "
            r"checked to be this network's $J$", check=Seed.cost),
    Display("(19)", r"\frac{\partial J}{\partial \theta} = \frac{1}{m} \sum_{i=1}^m \sum_{k_0=1}^{s_L} \left[\left("
                    r"h^L \left(z_{k_0}^L \right) - y \right) \frac{\partial z_{k_0}^L}{\partial \theta} \right]",
            "step", r"For every weight $\theta$ (the sigmoid's derivative cancels the logarithm's)", check=Seed.eq19,
            network="logistic"),
    Display("(20)", r"\boxed{\delta_p^L \equiv \left(h^L \left(z_p^L \right) - y \right) \left(1 - I_{p,0} \right)}",
            "definition", r"The output error, with $y = y_p$; checked to be $m\, \partial J/\partial z^L_p$ of each "
            r"sample", check=Seed.eq20),
    Display("(21)", r"\boxed{\frac{\partial J}{\partial \theta} = \frac{1}{m} \sum_{i=1}^m \sum_{k_0=1}^{s_L} "
                    r"\left[\delta_{k_0}^L \frac{\partial z_{k_0}^L}{\partial \theta} \right]}", "result",
            r"For every weight", check=Seed.eq21),
    Display("(22)", r"\frac{\partial z_{k_0}^L}{\partial \theta} = \frac{\partial}{\partial \theta} "
                    r"\sum_{k_1=0}^{s_{L-1}}"
                    r" \theta_{k_0, k_1}^{(L-1)} h^{(L-1)} \left(z_{k_1}^{(L-1)} \right) C_{k_0, k_1}^{(L-1)}", "step",
            r"(5) at the output, for every weight", check=Seed.eq22),
    Display("(23)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-1}} = \frac{\partial}{\partial "
                    r"\theta_{p,q}^{L-1}} \sum_{k_1=0}^{s_{L-1}} \theta_{k_0, k_1}^{(L-1)} h^{(L-1)} \left("
                    r"z_{k_1}^{(L-1)} \right) C_{k_0, k_1}^{(L-1)}", "step", r"The last layer's weights",
            check=Seed.eq23),
    Display("(24)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-1}} = I_{p, k_0} h^{(L-1)} \left(z_q^{(L-1)} "
                    r"\right) C_{p,q}^{(L-1)}", "result", r"By (10)", check=Seed.eq24),
    Display("(25)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,0}^{L-1}} = I_{p,k_0}", "result", r"$q = 0$",
            check=Seed.eq25),
    Display("(26)", r"\boxed{\frac{\partial J}{\partial \theta_{p,q}^{L-1}} = \frac{1}{m} \sum_{i=1}^m \delta_p^L "
                    r"h^{(L-1)}(z_q^{(L-1)}) C_{p,q}^{(L-1)}}", "result", r"(24) in (21): the last layer's gradient",
            check=Seed.eq26),
    Display("(27)", r"\frac{\partial J}{\partial \theta_{p,0}^{L-1}} = \frac{1}{m} \sum_{i=1}^m \delta_p^L", "result",
            r"$q = 0$: the mean output error", check=Seed.eq27),
    Display("(28)", r"\frac{\partial J}{\partial \theta_{1,q}^1} = \frac{1}{m} \sum_{i=1}^m \delta_1^2 x_q", "result",
            r"$L = 2$ layers and $K = 1$ output node (Brawer's $K$ is $s_L$): logistic regression, checked on "
            r"that network", check=Seed.eq28,
            network="logistic"),
    Display("(29)", r"\frac{\partial J}{\partial \theta_q} = \frac{1}{m} \sum_{i=1}^m (h(z_1^2) - y) x_q", "result",
            r"The same without indices", check=Seed.eq29, network="logistic"),
    Display("(29a)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-2}} &= \frac{\partial}{\partial "
                     r"\theta_{p,q}^{L-2}} \sum_{k_1=0}^{s_{L-1}} \theta_{k_0,k_1}^{(L-1)} h^{(L-1)}(z_{k_1}^{(L-1)})"
                     r" C_{k_0,k_1}^{(L-1)} \\" "\n"
                     r"&= \sum_{k_1=0}^{s_{L-1}} \theta_{k_0,k_1}^{(L-1)} C_{k_0,k_1}^{(L-1)} \frac{\partial}"
                     r"{\partial \theta_{p,q}^{L-2}} h^{(L-1)}(z_{k_1}^{(L-1)}) \\" "\n"
                     r"&= \sum_{k_1=0}^{s_{L-1}} \theta_{k_0,k_1}^{(L-1)} C_{k_0,k_1}^{(L-1)} \Psi^{(L-1)}"
                     r"(z_{k_1}^{(L-1)}) \\" "\n"
                     r"&\qquad \times \frac{\partial}{\partial \theta_{p,q}^{L-2}} \sum_{k_2=0}^{s_{L-2}} "
                     r"\theta_{k_1,k_2}^{(L-2)} h^{(L-2)}(z_{k_2}^{(L-2)}) C_{k_1,k_2}^{(L-2)}", "step",
            r"The next layer: (5) applied twice", check=Seed.eq29a),
    Display("(30)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-2}} = \theta_{k_0,p}^{(L-1)} "
                    r"C_{k_0,p}^{(L-1)} \Psi^{(L-1)}(z_p^{(L-1)}) h^{(L-2)}(z_q^{(L-2)}) C_{p,q}^{(L-2)}", "result",
            r"By (10)", check=Seed.eq30),
    Display("(after 30)", r"\frac{\partial z_0^L}{\partial \theta_{p,q}^{L-2}} = 0", "result",
            r"The output layer has no bias node (unnumbered in Brawer)", check=Seed.eq30_bias),
    Display("(31)", r"\boxed{M_{j,k}^l \equiv \theta_{j,k}^{(l)} C_{j,k}^{(l)} \Psi^{(l)}(z_k^{(l)})}", "definition",
            r"For $l = 1, \ldots, L-1$; every later display is checked with $M$ written out by this definition"),
    Display("(32)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-2}} = M_{k_0,p}^{(L-1)} h^{(L-2)}"
                    r"(z_q^{(L-2)}) C_{p,q}^{(L-2)}", "result", r"(30) with $M$", check=Seed.eq32),
    Display("(33)", r"\frac{\partial J}{\partial \theta_{p,q}^{L-2}} = \frac{1}{m} \sum_{i=1}^m \sum_{k_0=1}^{s_L} "
                    r"\left[\delta_{k_0}^L M_{k_0,p}^{(L-1)} h^{(L-2)} \left(z_q^{(L-2)} \right) C_{1,q}^{(L-2)} "
                    r"\right]", "result", r"(32) in (21), with (33a)", check=Seed.eq33),
    Display("(33a)", r"C_{p,q} = C_{1,q}", "device", r"$C$ does not depend on its first index (checked for every "
            r"weight)", check=Seed.eq33a),
    Display("(34)", r"\delta_p^{L-1} \equiv \sum_{k_0=1}^{s_L} \delta_{k_0}^L M_{k_0,p}^{(L-1)} \left(1 - I_{p,0} "
                    r"\right)", "definition", r"Checked to be $m\, \partial J/\partial z^{L-1}_p$ of each sample, "
            r"$p = 0$ included, where it is 0", check=Seed.eq34),
    Display("(35)", r"\frac{\partial J}{\partial \theta_{p,q}^{L-2}} = \frac{1}{m} \sum_{i=1}^m \delta_p^{L-1} "
                    r"h^{(L-2)} \left(z_q^{(L-2)} \right) C_{1,q}^{(L-2)}", "result",
            r"The layer before: the same form as (26)", check=Seed.eq35),
    Display("(36)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-3}} &= \sum_{k_1=0}^{s_{L-1}} "
                    r"\theta_{k_0,k_1}^{(L-1)} C_{k_0,k_1}^{(L-1)} \Psi^{(L-1)}(z_{k_1}^{(L-1)}) \\" "\n"
                    r"&\qquad \times \frac{\partial}{\partial \theta_{p,q}^{L-3}} \sum_{k_2=0}^{s_{L-2}} "
                    r"\theta_{k_1,k_2}^{(L-2)} h^{(L-2)}(z_{k_2}^{(L-2)}) C_{k_1,k_2}^{(L-2)} \\" "\n"
                    r"&= \sum_{k_1=0}^{s_{L-1}} \theta_{k_0,k_1}^{(L-1)} C_{k_0,k_1}^{(L-1)} \Psi^{(L-1)}"
                    r"(z_{k_1}^{(L-1)}) \sum_{k_2=0}^{s_{L-2}} \theta_{k_1,k_2}^{(L-2)} C_{k_1,k_2}^{(L-2)} "
                    r"\Psi^{(L-2)}(z_{k_2}^{(L-2)}) \\" "\n"
                    r"&\qquad \times \frac{\partial}{\partial \theta_{p,q}^{L-3}} \sum_{k_3=0}^{s_{L-3}} "
                    r"\theta_{k_2,k_3}^{(L-3)} C_{k_2,k_3}^{(L-3)} h^{(L-3)}(z_{k_3}^{(L-3)})", "step",
            r"The chain rule once more, from the last line of (29a)", check=Seed.eq36),
    Display("(37)", r"\frac{\partial z_{k_0}^L}{\partial \theta_{p,q}^{L-3}} = \sum_{k_1=1}^{s_{L-1}} "
                    r"M_{k_0,k_1}^{(L-1)} M_{k_1,p}^{(L-2)} C_{1,q}^{(L-3)} h^{(L-3)}(z_q^{(L-3)})", "result",
            r"The $k_1 = 0$ term is 0", check=Seed.eq37),
    Display("(39)", r"\frac{\partial J}{\partial \theta_{p,q}^{L-3}} &= \frac{1}{m} \sum_{i=1}^m \sum_{k_0=0}^{s_L} "
                    r"\sum_{k_1=1}^{s_{L-1}} \delta_{k_0}^L M_{k_0,k_1}^{(L-1)} M_{k_1,p}^{(L-2)} C_{1,q}^{(L-3)} "
                    r"h^{(L-3)}(z_q^{(L-3)}) \\" "\n"
                    r"&= \frac{1}{m} \sum_{i=1}^m \sum_{k_1=1}^{s_{L-1}} \delta_{k_1}^{L-1} M_{k_1,p}^{(L-2)} "
                    r"C_{1,q}^{(L-3)} h^{(L-3)}(z_q^{(L-3)})", "step",
            r"(37) in (21), then (34); the $k_0 = 0$ term of the first row is 0 by (20)'s $(1 - I_{p,0})$ "
            r"(Brawer has no (38))", check=Seed.eq39),
    Display("(40)", r"\boxed{\delta_p^{L-2} \equiv \sum_{k_1=1}^{s_{L-1}} \delta_{k_1}^{L-1} M_{k_1,p}^{(L-2)} "
                    r"(1 - I_{p,0})}", "definition", r"Checked to be $m\, \partial J/\partial z^{L-2}_p$ of each "
            r"sample", check=Seed.eq40),
    Display("(41)", r"\boxed{\frac{\partial J}{\partial \theta_{p,q}^{L-3}} = " + SUM_I0 +
                    r" \delta_p^{L-2} C_{1,q}^{(L-3)} h^{(L-3)} \left(z_q^{(L-3)} \right)}", "slip",
            r"The sum over samples starts at $i = 0$; $J$ (18) sums $i = 1, \ldots, m$",
            corrected=r"\boxed{\frac{\partial J}{\partial \theta_{p,q}^{L-3}} = " + SUM_I1 +
                      r" \delta_p^{L-2} C_{1,q}^{(L-3)} h^{(L-3)} \left(z_q^{(L-3)} \right)}",
            check=Seed.eq41, counterexample=_sample_zero),
    Display("(42)", r"\delta_p^L \equiv \left(h^L \left(z_p^L \right) - y \right) \left(1 - I_{p,0} \right)",
            "definition", r"(20) again", check=Seed.eq42),
    Display("(43)", r"\delta_p^l \equiv \sum_{k=1}^{s_{l+1}} \delta_k^{l+1} \theta_{k,p}^l \Psi^l \left(z_p^l "
                    r"\right) \left(1 - I_{p,0} \right)", "definition",
            r"The general step, (34) and (40) with $M$ written out ($C = 1$ there): checked to be "
            r"$m\, \partial J/\partial z^l_p$ for every layer $1 < l < L$", check=Seed.eq43),
    Display("(44)", D44 + SUM_I0 + r" \delta_p^{l+1} C_{1,q}^{(l)} h^{(l)} \left(z_q^{(l)} \right)", "slip",
            r"The general gradient; its sum over samples starts at $i = 0$",
            corrected=D44 + SUM_I1 + r" \delta_p^{l+1} C_{1,q}^{(l)} h^{(l)} \left(z_q^{(l)} \right)",
            check=Seed.eq44, counterexample=_sample_zero),
    Display("(45)", r"h^1 \left(z_q^1 \right) C_{1,q}^1 = x_q", "result", r"$q = 0, 1, \ldots, n$", check=Seed.eq45),
    Display("(46)", r"\frac{\partial J}{\partial \theta_{p,0}^l} = " + SUM_I0 + r" \delta_p^{l+1}", "slip",
            r"The bias gradient; its sum over samples starts at $i = 0$",
            corrected=r"\frac{\partial J}{\partial \theta_{p,0}^l} = " + SUM_I1 + r" \delta_p^{l+1}",
            check=Seed.eq46, counterexample=_sample_zero),
    Display("(47)", r"\sum_{k=1} \delta_k^{l+1} \theta_{k,p}^l = \left(\theta^{(l)T} \delta^{l+1} \right)_p", "result",
            r"The vectorisation: with $\theta^{(l)}$ as computed ($s_{l+1} \times (s_l + 1)$, column 0 the bias), "
            r"entry $p > 0$ of $\theta^{(l)T} \delta^{l+1}$ is the sum of (43), which runs to $k = s_{l+1}$ (Brawer "
            r"leaves the upper limit off); this is why the transpose appears",
            check=Seed.eq47),
    Display("(48)", r"\delta^l = \left(\theta^{(l)T} \delta^{l+1} \right) .* \Psi^l(z^l)", "result",
            r"(43) for a whole layer, entries $p > 0$ (entry 0 of $\theta^{(l)T} \delta^{l+1}$ is dropped)",
            check=Seed.eq48),
]

NAME = "Brawer"          # how the document refers to him; the notation's source cites the paper
TAG = "Brawer"
TITLE = "Brawer's derivation"
NUMBERING = (r"each carries Brawer's own number (there is no (4) and no (38)); the three he leaves "
             r"unnumbered are named by the display they follow.")
READING = (r"Its layers are $1, \ldots, L$, layer 1 the input ($z^1 = x$, $h^1$ the identity), as in this "
           r"document; $\theta^{(l)}_{p,q}$ goes from node $q$ of layer $l$ to node $p$ of layer $l + 1$, the "
           r"column $q = 0$ holding the bias; the sample index $i$ is implicit except in the sums over samples; "
           r"$y$ in (18)--(20) and (42) is the target of the output node at hand; $\ell$ is $e$. Its "
           r"$\delta^l_p$ is, by its definitions, $m\, \partial J/\partial z^l_p$ of one sample, this document's "
           r"$\delta$.")
DEVICES = (r"Devices this document does not use, each stated once and mapped: node 0 of every layer is a bias "
           r"node with $z_0 = 1$ (displays (1a) and (8)); this document has no node 0 and keeps only the "
           r"column $\theta^{(l)}_{p,0}$, the bias of node $p$; $\theta_{0,k}$ (display (6)) are weights into the bias "
           r"node, 1 for $k = 0$ and 0 otherwise, so that (5) holds for $j = 0$ too; $C^l_{j,k}$ (display (7)) is "
           r"$1/h^l(1)$ on the bias column and 1 elsewhere, so that $h^l(z_0) C_{j,0} = 1$; and the factor "
           r"$(1 - I_{p,0})$ in (20), (34), (40), (42), (43) sets $\delta_0 = 0$, the bias node having no error. "
           r"The checks translate them exactly so.")
PROVENANCE = (r"The boxed equations of the text are Brawer's general equations (42)--(44) and (46), written in this "
              r"document's symbols; he builds them layer by layer, (21) $\to$ (26) $\to$ (34) $\to$ (40).")
