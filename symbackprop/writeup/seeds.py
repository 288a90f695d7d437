"""The three seed derivations, each written as its author states it and checked against SymPy.

Every equation is built in the seed's own symbols (SymPy ``Indexed`` objects named as the seed
names them) over the seed's own index ranges, then translated into the canonical model and
checked against direct differentiation by the same checker ``verify`` uses. Translation refuses
an index outside the quantity's range, which is how a slip in a seed's range shows itself.

Seed 000 (matrix): layers 0..L, E = 1/(2m) ΣΣ (A^L − Y)², any g^l; each chain-rule identity.
Seed 001 (theta): layers 1..L+1, θ^(l) = [b^l | W^l], J = bce with sigmoid, per-sample δ, 1/m outside.
Seed 002 (ufldl): layers 1..L+1, one sample, J = ½‖a − y‖², σ, errors ε.

These line-by-line checks on a given network serve ``verify --preset``. The derivation document shows
each seed display by display instead, from the tables in ``seed000``, ``seed001``, ``seed002``
(``seed_displays`` checks them on a small instance network per seed).

Where a seed slips, the equations here are the correct form and ``SLIPS`` states what the seed
wrote; ``equations(..., slip=True)`` builds the seed's literal form so a test can show why it fails.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

from ..model.errors import SpecError
from ..model.notations import notation, preset
from ..symbolic.delta import activation_jacobian
from ..symbolic.derive import Derivation, Step, derive
from ..symbolic.direct import adjoint_symbol
from ..symbolic.verify import Result, check_step

# Keyed by seed (a notation names its seed: Notation.seed); a notation without one has none of these.
SLIPS = {
    "000": "seed 000 states ∂E/∂A^L_ic = (A^L_ic − Y_ic)/m for i = 1..n^{l−1}; the range is i = 1..n^L",
    "001": "seed 001 eqs (41), (44), (46) sum over samples from i = 0; J (eq. 18) sums i = 1..m",
    "002": "seed 002's bias line writes ϵ^(l)_q W^(L−1)_qr ∂a^(L−1)_r/∂b^(l)_i; the error there is ϵ^(L)_q",
}


class SeedIndexError(SpecError):
    """A seed's equation refers to an entry outside the quantity's index range."""


@dataclass(frozen=True)
class SeedEquation:
    """One equation as the seed states it (``claim``, in the seed's symbols) and the truth."""

    label: str
    claim: sp.Expr
    truth: sp.Expr
    compare_as: Callable[[sp.Expr], sp.Expr] = lambda e: e   # both sides, before comparing


def _in_range(name: str, index: int, low: int, high: int, what: str) -> int:
    if not low <= index <= high:
        raise SeedIndexError(f"{name}: {what} index {index} is outside {low}..{high}")
    return index


class _Seed:
    """Shared translation helpers: seed symbols -> canonical quantities of one derivation."""

    def __init__(self, d: Derivation):
        self.d, self.fp = d, d.forward
        self.L, self.m, self.n = d.net.depth, d.net.batch, d.net.sizes

    def translate(self, expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Indexed), lambda e: self.entry(e.base.name, *e.indices))

    def truth(self, v: sp.Symbol) -> sp.Expr:
        return self.d.chain.partial(v)

    def step_truth(self, z: sp.Symbol) -> sp.Expr:
        """∂E/∂z one layer back, in the next layer's adjoint symbols (the induction step)."""
        return self.d.chain.step(z, symbolic_edges=False)

    def sample(self, i) -> int:
        return _in_range("sample", int(i), 1, self.m, "sample")

    def entry(self, base: str, *indices) -> sp.Expr:
        """The canonical quantity a seed symbol stands for: each seed reads its own symbols."""
        raise NotImplementedError

    def equations(self, slip: bool = False) -> list[SeedEquation]:
        raise NotImplementedError


# --- seed 000: matrix notation, the chain-rule identities ------------------------------------

class MatrixSeed(_Seed):
    """A^0 = X; Z^l = W^l A^{l−1} + b^l; A^l = g^l(Z^l); E = 1/(2m) Σ_c Σ_i (A^L_ic − Y_ic)².

    Its equations relate true derivatives to each other, so here every ∂E/∂(·) comes from
    ``diff`` of E written down to that quantity (``partial_from_error``), not from the chain rule
    over the graph, and each equation is compared with both sides written down to the lowest
    layer it mentions.
    """

    def truth(self, v: sp.Symbol) -> sp.Expr:
        return self.d.chain.partial_from_error(v)

    def equation(self, label: str, claim: sp.Expr, truth: sp.Expr, level: sp.Symbol | None) -> SeedEquation:
        down = lambda e: self.fp.down_to(e, level)  # noqa: E731
        return SeedEquation(label, claim, truth, down)

    def entry(self, base: str, *indices):
        if base == "Y":
            i, c = (int(k) for k in indices)
            return self.fp.Y[_in_range("Y", i, 1, self.n[-1], "unit") - 1, self.sample(c) - 1]
        l, i, c = (int(k) for k in indices)
        c = self.sample(c)
        if base in ("dEdZ", "dEdA"):
            i = _in_range(f"{base}^{l}", i, 1, self.n[l], "unit")
            M = self.fp.Z[l] if base == "dEdZ" else self.fp.A[l]
            return self.truth(M[i - 1, c - 1])
        M = {"A": self.fp.A, "Z": self.fp.Z}.get(base)
        if M is not None:
            return M[l][_in_range(f"{base}^{l}", i, 1, self.n[l], "unit") - 1, c - 1]
        raise SeedIndexError(f"unknown seed-000 quantity {base}")

    def equations(self, slip: bool = False) -> list[SeedEquation]:
        dEdZ, dEdA, A, Y = (sp.IndexedBase(s) for s in ("dEdZ", "dEdA", "A", "Y"))
        fp, L, m, n, out = self.fp, self.L, self.m, self.n, []
        gprime = lambda l, i, c: activation_jacobian(fp, l, i - 1, i - 1, c - 1)  # noqa: E731
        for l in range(1, L + 1):
            for i in range(1, n[l] + 1):
                for j in range(1, n[l - 1] + 1):
                    claim = sp.Add(*[dEdZ[l, i, c] * A[l - 1, j, c] for c in range(1, m + 1)]) if l > 1 else \
                        sp.Add(*[dEdZ[l, i, c] * fp.X[j - 1, c - 1] for c in range(1, m + 1)])
                    weight = fp.W[l][i - 1, j - 1]
                    out.append(self.equation(f"∂E/∂W^{l}_{i}{j} = Σ_c ∂E/∂Z^{l}_{i}c A^{l - 1}_{j}c",
                                             claim, self.truth(weight), fp.previous_activation(weight)))
                out.append(self.equation(f"∂E/∂b^{l}_{i} = Σ_c ∂E/∂Z^{l}_{i}c",
                                         sp.Add(*[dEdZ[l, i, c] for c in range(1, m + 1)]),
                                         self.truth(fp.b[l][i - 1]), fp.previous_activation(fp.b[l][i - 1])))
                for c in range(1, m + 1):
                    z = fp.Z[l][i - 1, c - 1]
                    out.append(self.equation(f"∂E/∂Z^{l}_{i}{c} = ∂E/∂A^{l}_{i}{c} g^{l}'(Z^{l}_{i}{c})",
                                             dEdA[l, i, c] * gprime(l, i, c), self.truth(z), z))
                    if l < L:
                        a = fp.A[l][i - 1, c - 1]
                        claim = sp.Add(*[dEdZ[l + 1, j, c] * fp.W[l + 1][j - 1, i - 1] for j in range(1, n[l + 1] + 1)])
                        out.append(self.equation(f"∂E/∂A^{l}_{i}{c} = Σ_j ∂E/∂Z^{l + 1}_j{c} W^{l + 1}_j{i}",
                                                 claim, self.truth(a), a))
        units = n[L - 1] if slip else n[L]          # the seed's range i = 1..n^{l−1}, read at l = L
        for i in range(1, units + 1):
            for c in range(1, m + 1):
                out.append(self.equation(f"∂E/∂A^L_{i}{c} = (A^L_{i}{c} − Y_{i}{c})/m",
                                         (A[L, i, c] - Y[i, c]) / m, self._output_truth(i, c), fp.A[L][0, 0]))
        return out

    def _output_truth(self, i: int, c: int) -> sp.Expr:
        i = _in_range(f"A^{self.L}", i, 1, self.n[self.L], "unit")
        return self.truth(self.fp.A[self.L][i - 1, c - 1])


# --- seed 001: theta notation, per-sample δ, bias in column 0 ---------------------------------

class ThetaSeed(_Seed):
    """Layers 1..L+1 (ours 0..L); θ^(l)_{p,0} = b^l_p, θ^(l)_{p,q} = W^l_pq; z^1 = x, h^1 = identity."""

    def z(self, l: int, p: int, i: int) -> sp.Expr:
        """Node value z^l_p of sample i: the seed's z with index 0 the bias node (z_0 = 1, eq. 8)."""
        if p == 0:
            return sp.Integer(1)
        return sp.IndexedBase("z")[l, p, i]

    def entry(self, base: str, *indices):
        idx = [int(k) for k in indices]
        if base == "z":
            l, p, i = idx
            i = self.sample(i)
            p = _in_range(f"z^{l}", p, 1, self.n[l - 1], "node")
            return self.fp.X[p - 1, i - 1] if l == 1 else self.fp.Z[l - 1][p - 1, i - 1]
        if base == "theta":
            l, p, q = idx
            p = _in_range(f"θ^({l})", p, 1, self.n[l], "row")
            q = _in_range(f"θ^({l})", q, 0, self.n[l - 1], "column")
            return self.fp.b[l][p - 1] if q == 0 else self.fp.W[l][p - 1, q - 1]
        if base == "y":
            p, i = idx
            return self.fp.Y[_in_range("y", p, 1, self.n[-1], "class") - 1, self.sample(i) - 1]
        if base == "delta":            # induction hypothesis: δ^(l)_p = m ∂J/∂z^(l)_p
            l, p, i = idx
            z = self.fp.Z[l - 1][_in_range(f"δ^({l})", p, 1, self.n[l - 1], "node") - 1, self.sample(i) - 1]
            return self.m * adjoint_symbol(z)
        raise SeedIndexError(f"unknown seed-001 quantity {base}")

    def h(self, l: int, z: sp.Expr) -> sp.Expr:
        """Eq. (3): the identity on the input layer, the sigmoid after it."""
        return z if l == 1 else 1 / (1 + sp.exp(-z))

    def Psi(self, l: int, z: sp.Expr) -> sp.Expr:
        """Eq. (15a): Ψ^l = h(1 − h) for l > 1 (Ψ^1 = 1 is never needed: there is no δ^1)."""
        return self.h(l, z) * (1 - self.h(l, z))

    def hC(self, l: int, q: int, i: int) -> sp.Expr:
        """C^(l)_{1,q} h^(l)(z^(l)_q): eq. (7) makes it 1 on the bias node q = 0."""
        C = 1 / self.h(l, sp.Integer(1)) if q == 0 else 1
        return C * self.h(l, self.z(l, q, i))

    def delta(self, l: int, p: int, i: int) -> sp.Expr:
        """Eqs (42), (43): δ^{L+1}_p = h(z_p) − y_p; δ^l_p = Σ_{k=1}^{s_{l+1}} δ^{l+1}_k θ^(l)_{k,p} Ψ^l(z^l_p)."""
        theta, y, delta, top = (*(sp.IndexedBase(s) for s in ("theta", "y", "delta")), self.L + 1)
        if l == top:
            return self.h(l, self.z(l, p, i)) - y[p, i]
        return sp.Add(*[delta[l + 1, k, i] * theta[l, k, p] for k in range(1, self.n[l] + 1)]) \
            * self.Psi(l, self.z(l, p, i))

    def equations(self, slip: bool = False) -> list[SeedEquation]:
        """By induction from the output layer: each δ^(l) = m ∂J/∂z^(l) given δ^(l+1), then (44), (46)."""
        first = 0 if slip else 1          # eqs (44), (46) as printed sum i = 0..m
        delta, out = sp.IndexedBase("delta"), []
        for l in range(self.L, 0, -1):
            for p in range(1, self.n[l] + 1):
                for i in range(1, self.m + 1):
                    label = "(42)" if l == self.L else "(43)"
                    truth = self.m * self.step_truth(self.fp.Z[l][p - 1, i - 1])
                    out.append(SeedEquation(f"{label} δ^({l + 1})_{p} (sample {i}) = m ∂J/∂z^({l + 1})_{p}",
                                            self.delta(l + 1, p, i), truth))
                for q in range(0, self.n[l - 1] + 1):
                    claim = sp.Add(*[delta[l + 1, p, i] * self.hC(l, q, i) for i in range(first, self.m + 1)]) / self.m
                    target = self.fp.b[l][p - 1] if q == 0 else self.fp.W[l][p - 1, q - 1]
                    label = "(46)" if q == 0 else "(44)"
                    out.append(SeedEquation(f"{label} ∂J/∂θ^({l})_{p},{q} = (1/m) Σ_i δ^({l + 1})_{p} C h^({l})(z_{q})",
                                            claim, self.d.chain.local(target)))
        return out


# --- seed 002: ufldl notation, one sample, ε errors -------------------------------------------

class UfldlSeed(_Seed):
    """Layers 1..L+1 (ours 0..L); a^(1) = x; z^(l+1) = W^(l) a^(l) + b^(l); J = ½‖a^(L+1) − y‖²."""

    def entry(self, base: str, *indices):
        idx = [int(k) for k in indices]
        if base in ("a", "z"):
            l, i = idx
            i = _in_range(f"{base}^({l})", i, 1, self.n[l - 1], "unit")
            if l == 1 and base == "z":
                raise SeedIndexError("z^(1) does not exist: layer 1 is the input, a^(1) = x")
            if l == 1:
                return self.fp.X[i - 1, 0]
            return (self.fp.A if base == "a" else self.fp.Z)[l - 1][i - 1, 0]
        if base in ("W", "b"):
            l, i = idx[0], idx[1]
            i = _in_range(f"{base}^({l})", i, 1, self.n[l], "row")
            if base == "b":
                return self.fp.b[l][i - 1]
            return self.fp.W[l][i - 1, _in_range(f"W^({l})", idx[2], 1, self.n[l - 1], "column") - 1]
        if base == "y":
            return self.fp.Y[_in_range("y", idx[0], 1, self.n[-1], "unit") - 1, 0]
        if base == "epsilon":          # induction hypothesis: ε^(l)_q = ∂J/∂z^(l)_q
            l, q = idx
            return adjoint_symbol(self.fp.Z[l - 1][_in_range(f"ε^({l})", q, 1, self.n[l - 1], "unit") - 1, 0])
        raise SeedIndexError(f"unknown seed-002 quantity {base}")

    def sigma_prime(self, z: sp.Expr) -> sp.Expr:
        t = sp.Dummy("t")
        return sp.diff(1 / (1 + sp.exp(-t)), t).subs(t, z)

    def epsilon(self, l: int, i: int, *, nested: bool = False) -> sp.Expr:
        """ε^(L)_i = (a^(L)_i − y_i) σ'(z^(L)_i); ε^(l)_i = Σ_q ε^(l+1)_q W^(l)_qi σ'(z^(l)_i).

        ε^(l+1) stays the seed's symbol (the induction hypothesis) unless ``nested``.
        """
        a, z, W, y, eps = (sp.IndexedBase(s) for s in ("a", "z", "W", "y", "epsilon"))
        if l == self.L + 1:
            return (a[l, i] - y[i]) * self.sigma_prime(z[l, i])
        following = (lambda q: self.epsilon(l + 1, q, nested=True)) if nested else (lambda q: eps[l + 1, q])
        return sp.Add(*[following(q) * W[l, q, i] for q in range(1, self.n[l] + 1)]) * self.sigma_prime(z[l, i])

    def equations(self, slip: bool = False) -> list[SeedEquation]:
        a, eps = sp.IndexedBase("a"), sp.IndexedBase("epsilon")
        out = []
        for l in range(self.L, 0, -1):
            for i in range(1, self.n[l] + 1):
                out.append(SeedEquation(f"ε^({l + 1})_{i} = ∂J/∂z^({l + 1})_{i}", self.epsilon(l + 1, i),
                                        self.step_truth(self.fp.Z[l][i - 1, 0])))
                for j in range(1, self.n[l - 1] + 1):
                    out.append(SeedEquation(f"∂J/∂W^({l})_{i}{j} = a^({l})_{j} ε^({l + 1})_{i}",
                                            a[l, j] * eps[l + 1, i], self.d.chain.local(self.fp.W[l][i - 1, j - 1])))
                out.append(SeedEquation(f"∂J/∂b^({l})_{i} = ε^({l + 1})_{i}",
                                        eps[l + 1, i], self.d.chain.local(self.fp.b[l][i - 1])))
                out.append(self.bias_line(l, i, slip))
        return out

    def bias_line(self, l: int, i: int, slip: bool) -> SeedEquation:
        """∂J/∂b^(l)_i = ε^(L)_i δ_(l,L−1) + ε^(L)_q W^(L−1)_qr ∂a^(L−1)_r/∂b^(l)_i (q, r summed)."""
        top, W = self.L + 1, sp.IndexedBase("W")
        b = self.fp.b[l][i - 1]
        first = self.epsilon(top, i, nested=True) if l == self.L else sp.Integer(0)
        hidden = top - 1
        if hidden == 1:                       # a^(1) = x does not depend on any parameter
            return SeedEquation(f"bias line for b^({l})_{i}", first, self.truth(b))
        err = l if slip else top
        a_prev = self.fp.A[hidden - 1][:, 0]
        da_db = lambda r: self.d.chain.forward_partial(a_prev[r - 1], b)  # noqa: E731  (true ∂a/∂b)
        claim = first + sp.Add(*[self.epsilon(err, q, nested=True) * W[hidden, q, r] * da_db(r)
                                 for q in range(1, self.n[self.L] + 1) for r in range(1, self.n[hidden - 1] + 1)])
        return SeedEquation(f"bias line for b^({l})_{i}", claim, self.truth(b))


SEEDS: dict[str, Callable[[Derivation], _Seed]] = {"000": MatrixSeed, "001": ThetaSeed, "002": UfldlSeed}
ASSUMES: dict[str, dict[str, object]]
ASSUMES = {"000": {"loss": "mse"},                        # seed 000: any g^l, squared error
           "001": {"loss": "bce", "activations": "sigmoid"},
           "002": {"loss": "mse", "activations": "sigmoid", "batch": 1}}


def seed_of(name: str) -> str | None:
    """The seed a notation names, if the project holds its derivation (a notation of one's own has none)."""
    seed = notation(name).seed
    return seed if seed in SEEDS else None


def assumes(name: str) -> dict[str, object]:
    seed = seed_of(name)
    return ASSUMES[seed] if seed else {}


def slip(name: str) -> str:
    seed = seed_of(name)
    return SLIPS[seed] if seed else ""


def applies(name: str, d: Derivation) -> bool:
    """Whether the network is one the seed derives for (its loss, activation, batch; no seed decays weights)."""
    return seed_of(name) is not None and d.net.weight_decay == 0 and all(
        getattr(d.net, key) == value for key, value in assumes(name).items())


def equations(name: str, d: Derivation, *, slip: bool = False) -> list[SeedEquation]:
    """A seed's equations for the network of ``d``; ``slip=True`` writes the seed's literal slip."""
    if not applies(name, d):
        wanted = ", ".join(f"{k} {v}" for k, v in assumes(name).items())
        raise SpecError(f"the {name} seed derives for {wanted}; this network has loss {d.net.loss}, "
                        f"activations {d.net.activations}, batch {d.net.batch}")
    return SEEDS[notation(name).seed](d).equations(slip=slip)


def check(name: str, d: Derivation, *, slip: bool = False) -> list[Result]:
    """Check every equation of a seed, translated into ``d``'s network, against direct differentiation."""
    cache: dict
    seed, cache = SEEDS[notation(name).seed](d), {}
    return [check_step(d, Step(eq.label, eq.compare_as(eq.truth), eq.compare_as(seed.translate(eq.claim))), cache=cache)
            for eq in equations(name, d, slip=slip)]


def check_seed(name: str, sizes: tuple[int, ...] = (2, 3, 1), *, slip: bool = False, **overrides) -> list[Result]:
    """Check every equation of a seed on its preset network: each must be proved (or hold numerically).

    >>> all(r.ok for r in check_seed("ufldl", sizes=(2, 2, 1)))
    True
    """
    return check(name, derive(preset(name, sizes, **overrides)), slip=slip)
