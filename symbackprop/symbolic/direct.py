"""Direct partials: ∂E/∂v for every node and parameter by the multivariable chain rule.

This side never sees the δ equations. Each edge u ← v of the graph (v occurs in u's definition)
contributes ∂E/∂u · ∂u/∂v, where ∂u/∂v is SymPy's own ``diff`` of u's definition; E's own
edges (to A^L and, through weight decay, to W) are differentiated the same way.
``local(v)`` keeps the adjoints ∂E/∂u of v's consumers as symbols ``dE_d<u>``;
``partial(v)`` substitutes them all, giving the partial in terms of Z, A, W, b, X, Y.
"""
from __future__ import annotations

from collections import defaultdict
from functools import cache, cached_property

import sympy as sp

from .forward import ForwardPass


def adjoint_symbol(node: sp.Symbol) -> sp.Symbol:
    """The name of ∂E/∂node while it is kept unexpanded."""
    return sp.Symbol(f"dE_d{node.name}", real=True)


@cache
def _placeholder(n: int) -> sp.Symbol:
    return sp.Symbol(f"_e{n}", real=True)     # every symbol of the model is real


def edge_symbol(u: sp.Symbol, v: sp.Symbol) -> sp.Symbol:
    """The name of the local derivative ∂u/∂v of one edge while it is kept unexpanded."""
    return sp.Symbol(f"d{u.name}_d{v.name}", real=True)


class ChainRule:
    """Reverse accumulation over the forward graph, one local ``diff`` per edge."""

    def __init__(self, forward: ForwardPass):
        self.forward = forward
        self._partials: dict[sp.Symbol, sp.Expr] = {}
        self._edge_shapes: dict[tuple[sp.Expr, sp.Symbol], sp.Expr] = {}
        self._forward_partials: dict[tuple[sp.Symbol, sp.Symbol], sp.Expr] = {}

    @cached_property
    def consumers(self) -> dict[sp.Symbol, list[sp.Symbol]]:
        """For every symbol, the intermediate nodes whose definitions use it."""
        out: dict[sp.Symbol, list[sp.Symbol]] = defaultdict(list)
        for node, definition in self.forward.definitions.items():
            for v in definition.free_symbols:
                out[v].append(node)
        return out

    @cached_property
    def error_symbols(self) -> set[sp.Symbol]:
        """The symbols E itself contains (its own edges: to A^L and, through weight decay, to W)."""
        return self.forward.E.free_symbols

    def edge(self, u: sp.Symbol, v: sp.Symbol) -> sp.Expr:
        """∂u/∂v for one edge: SymPy's ``diff`` of u's definition.

        Summand by summand, only where v occurs (Z^l_ic has n_{l-1} + 1 summands, one with a
        given W or A), and once per shape: summands alike but for names (W_ij A_jc in every
        unit and sample) share one derivative, renamed back. The same derivative, cheaper.
        """
        terms = sp.Add.make_args(self.forward.definitions[u])
        return self.forward.with_conventions(sp.Add(*[self._diff(t, v) for t in terms if v in t.free_symbols]))

    def _diff(self, term: sp.Expr, v: sp.Symbol) -> sp.Expr:
        names = sorted(term.free_symbols, key=lambda s: s.name)
        rename = {s: _placeholder(n) for n, s in enumerate(names)}
        key = (term.xreplace(rename), rename[v])
        if key not in self._edge_shapes:
            self._edge_shapes[key] = sp.diff(*key)
        return self._edge_shapes[key].xreplace({p: s for s, p in rename.items()})

    def local(self, v: sp.Symbol, *, symbolic_edges: bool = False) -> sp.Expr:
        """∂E/∂v = Σ over v's consumers u of ∂E/∂u · ∂u/∂v (+ ∂E/∂v along E's own edge).

        With ``symbolic_edges`` each ∂u/∂v stays the symbol ``edge_symbol(u, v)``.
        """
        edge = edge_symbol if symbolic_edges else self.edge
        terms = [adjoint_symbol(u) * edge(u, v) for u in self.consumers.get(v, ())]
        if v in self.error_symbols:
            terms.append(sp.diff(self.forward.E, v))
        return self.forward.with_conventions(sp.Add(*terms))

    def local_with(self, v: sp.Symbol, edge_value) -> sp.Expr:
        """``local(v)`` with each edge ∂u/∂v written as ``edge_value(u, v)`` (a lemma's form, a code variable)."""
        return self.local(v, symbolic_edges=True).xreplace(
            {edge_symbol(u, v): edge_value(u, v) for u in self.consumers.get(v, ())})

    def step(self, z: sp.Symbol, *, symbolic_edges: bool = True) -> sp.Expr:
        """∂E/∂Z^l_ic one layer back, in ∂E/∂Z^{l+1} symbols (none for l = L).

        By default the activation edges ∂A^l_kc/∂Z^l_ic stay symbols: each is a lemma of its own.
        """
        local = self.local(z, symbolic_edges=symbolic_edges)
        return local.xreplace({adjoint_symbol(a): self.local(a) for a in self.consumers_of_adjoints(local)})

    def consumers_of_adjoints(self, expr: sp.Expr) -> list[sp.Symbol]:
        """The nodes whose adjoint symbols occur in expr."""
        return [self._nodes_by_adjoint[s] for s in expr.free_symbols if s in self._nodes_by_adjoint]

    @cached_property
    def _nodes_by_adjoint(self) -> dict[sp.Symbol, sp.Symbol]:
        return {adjoint_symbol(u): u for u in self.forward.definitions}

    def partial(self, v: sp.Symbol) -> sp.Expr:
        """∂E/∂v with every adjoint substituted: in terms of the forward quantities only."""
        if v not in self._partials:
            local = self.local(v)
            self._partials[v] = local.xreplace(
                {adjoint_symbol(u): self.partial(u) for u in self.consumers.get(v, ())})
        return self._partials[v]

    def forward_partial(self, node: sp.Symbol, v: sp.Symbol) -> sp.Expr:
        """∂node/∂v forwards through the graph: Σ over node's inputs w of ∂node/∂w · ∂w/∂v."""
        key = (node, v)
        if key not in self._forward_partials:
            definition = self.forward.definitions.get(node)
            if node == v or definition is None:
                value = sp.Integer(1 if node == v else 0)
            else:
                value = sp.Add(*[self.edge(node, w) * self.forward_partial(w, v) for w in definition.free_symbols])
            self._forward_partials[key] = value
        return self._forward_partials[key]

    @cached_property
    def substituted_error(self) -> sp.Expr:
        """E with every intermediate substituted: a function of W, b, X, Y alone."""
        return self.forward.in_terms_of_parameters(self.forward.E)

    def substituted_partial(self, v: sp.Symbol) -> sp.Expr:
        """A second, independent ground truth: ``diff`` of the fully substituted E (small networks)."""
        return self.forward.with_conventions(sp.diff(self.substituted_error, v))

    def partial_from_error(self, v: sp.Symbol) -> sp.Expr:
        """∂E/∂v by ``diff`` of E written down to v (no chain rule over the graph): for A^l or Z^l,
        E in that layer's quantities; for W^l, b^l, E in A^{l-1}. The result stays at that level."""
        fp = self.forward
        level = v if v in fp.definitions else fp.previous_activation(v)
        E = fp.in_terms_of_parameters(fp.E) if level is None else fp.in_terms_of_layer(fp.E, level)
        return fp.with_conventions(sp.diff(E, v))
