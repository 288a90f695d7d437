"""A derivation: one network's forward pass, its direct partials and its δ equations, side by side.

    >>> d = derive(Network(sizes=(1, 1), activations="identity", loss="mse", batch=1))
    >>> d.parameters
    ['W1[1,1]', 'b1[1]']
    >>> d.partial("b1[1]")
    A1_1_1 - Y_1_1
"""
from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from ..model.errors import SpecError
from ..model.losses import ShortForm
from ..model.spec import Network, check_symbolic_size
from .delta import BACKPROP, ClosedForm, DeltaRules, activation_jacobian, output_delta_chain, output_delta_collapsed
from .direct import ChainRule, adjoint_symbol, edge_symbol
from .forward import ForwardPass, columns


@dataclass(frozen=True)
class Step:
    """One equation to prove: the direct side and the closed side, in the same free symbols.

    ``depends`` names the δ steps this one assumes (induction hypothesis: δ^{l+1} = ∂E/∂Z^{l+1}).
    """

    name: str
    direct: sp.Expr
    closed: sp.Expr
    depends: tuple[str, ...] = ()
    parameter: str = ""                  # the parameter whose gradient this step is, if any
    assume: dict = field(default_factory=dict)   # inputs that follow from others under an assumption


def _entry(prefix: str, *indices: int) -> str:
    return f"{prefix}[{','.join(str(k) for k in indices)}]"


class Derivation:
    """Everything ``derive`` computes for one network; expressions are built on demand."""

    def __init__(self, net: Network, rules: DeltaRules = BACKPROP, *, per_sample: bool = False):
        check_symbolic_size(net)
        self.net = net
        self.forward = ForwardPass(net, per_sample=per_sample)
        self.chain = ChainRule(self.forward)
        self.closed = ClosedForm(self.forward, rules)

    def __repr__(self) -> str:
        return f"Derivation({self.net!r})"

    # Jupyter display is a write-up, imported only when a notebook asks: the maths never loads Jinja2.
    def summary(self, notation: str = "matrix") -> dict:
        """The network and its back-propagation equations in general form, printed in ``notation``."""
        from ..writeup import display
        return display.summary(self, notation)

    def _repr_latex_(self) -> str:
        """In Jupyter: the back-propagation equations of this network, as display maths."""
        from ..writeup import display
        return display.latex(self)

    def _repr_markdown_(self) -> str:
        from ..writeup import display
        return display.markdown(self)

    @property
    def E(self) -> sp.Expr:
        return self.forward.E

    @property
    def parameters(self) -> list[str]:
        """Parameter names, 1-based like the maths: "W1[1,1]", …, "b2[1]"."""
        return list(self.forward.parameters)

    def symbol(self, name: str) -> sp.Symbol:
        try:
            return self.forward.parameters[name]
        except KeyError:
            raise SpecError(f"unknown parameter {name!r}; this network has {self.parameter_ranges()} "
                            f"(or as theta and ufldl write them: θ(l)[i,j], θ(l)[i,0], W(l)[i,j], b(l)[i])") from None

    def parameter_ranges(self) -> str:
        """Every parameter name, compactly: "W1[i,j] (i 1..3, j 1..2), b1[i] (i 1..3), W2[1,j] (j 1..3), b2[1]"."""
        def index(letter: str, n: int) -> tuple[str, str]:
            return ("1", "") if n == 1 else (letter, f"{letter} 1..{n}")

        out = []
        for l in self.forward.layers:
            (i, ri), (j, rj) = index("i", self.net.sizes[l]), index("j", self.net.sizes[l - 1])
            ranges = ", ".join(r for r in (ri, rj) if r)
            out.append(f"W{l}[{i},{j}]" + (f" ({ranges})" if ranges else ""))
            out.append(f"b{l}[{i}]" + (f" ({ri})" if ri else ""))
        return ", ".join(out)

    def partial(self, name: str, *, substitute: bool = False) -> sp.Expr:
        """∂E/∂parameter by the chain rule on E (never the δ equations), in Z, A, W, b, X, Y.

        ``substitute=True`` writes it in W, b, X, Y alone (large for deep networks).
        """
        expr = self.chain.partial(self.symbol(name))
        return self.forward.in_terms_of_parameters(expr) if substitute else expr

    def closed_form(self, name: str, *, substitute: bool = False) -> sp.Expr:
        """∂E/∂parameter from the closed-form δ equations."""
        expr = self.closed.gradient(self.symbol(name))
        return self.forward.in_terms_of_parameters(expr) if substitute else expr

    def substituted_partial(self, name: str) -> sp.Expr:
        """``diff`` of the fully substituted E: the second ground truth (small networks only)."""
        return self.chain.substituted_partial(self.symbol(name))

    @cached_property
    def _as_adjoint(self) -> dict[sp.Symbol, sp.Symbol]:
        """Identify δ^l_ic with ∂E/∂Z^l_ic: the induction hypothesis, stated as a substitution."""
        fp = self.forward
        return {d: adjoint_symbol(z) for l in fp.layers for d, z in zip(self.closed.delta[l], fp.Z[l], strict=True)}

    @cached_property
    def edges(self) -> dict[sp.Symbol, tuple[str, sp.Symbol, sp.Symbol, sp.Expr]]:
        """Every activation edge ∂A^l_kc/∂Z^l_ic: its lemma's name, its two ends, the table's form."""
        fp, out = self.forward, {}
        for l in fp.layers:
            for (k, c), a in _indexed(fp.A[l]):
                for i in range(self.net.sizes[l]):
                    z = fp.Z[l][i, c]
                    if z in fp.definitions[a].free_symbols:
                        name = f"dA{l}[{k + 1},{c + 1}]/dZ{l}[{i + 1},{c + 1}]"
                        out[edge_symbol(a, z)] = (name, a, z, activation_jacobian(fp, l, k, i, c))
        return out

    def edge_steps(self) -> Iterator[Step]:
        """Lemmas: SymPy's derivative of each activation edge equals the table's g' (or Jacobian)."""
        for name, a, z, table in self.edges.values():
            yield Step(name, self.chain.edge(a, z), table)

    def _with_lemmas(self, name: str, direct: sp.Expr, closed: sp.Expr, depends: tuple[str, ...]) -> Step:
        """A step whose activation edges are rewritten by their lemmas, which it then depends on."""
        edges = [s for s in direct.free_symbols if s in self.edges]
        direct = direct.xreplace({s: self.edges[s][3] for s in edges})
        lemmas = tuple(sorted(self.edges[s][0] for s in edges))
        return Step(name, direct, closed, depends + lemmas)

    def steps(self) -> Iterator[Step]:
        """Every equation of the proof, lemmas first, built one at a time."""
        return itertools.chain(self.edge_steps(), self.delta_steps(), self.gradient_steps())

    def equation_count(self) -> int:
        """How many equations ``steps`` yields, counted without building them."""
        fp, m = self.forward, self.net.batch
        edges = sum(n * (1 if self.net.rule(l).elementwise else n) * m
                    for l, n in zip(fp.layers, self.net.sizes[1:], strict=True))
        extra = (output_delta_collapsed(fp) is not None) + (self._short_form() is not None)
        return edges + sum(self.net.sizes[1:]) * m + extra * self.net.sizes[-1] * m + self.net.parameter_count

    def delta_steps(self) -> Iterator[Step]:
        """δ^l_ic (closed, in δ^{l+1}) against ∂E/∂Z^l_ic (chain rule one layer back)."""
        fp, L = self.forward, self.net.depth
        for l in reversed(fp.layers):
            equations = self.closed.delta_equations[l]
            for (i, c), z in _indexed(fp.Z[l]):
                depends = tuple(_entry(f"delta{l + 1}", k + 1, c + 1)
                                for k in range(self.net.sizes[l + 1])) if l < L else ()
                closed = equations[i, c].xreplace(self._as_adjoint)
                yield self._with_lemmas(_entry(f"delta{l}", i + 1, c + 1), self.chain.step(z), closed, depends)
        yield from self._output_chain_steps()

    def _output_chain_steps(self) -> list[Step]:
        """Where δ^L is written in a collapsed form, prove the general chain form too."""
        if output_delta_collapsed(self.forward) is None:
            return []
        L, fp = self.net.depth, self.forward
        chain = output_delta_chain(fp).applyfunc(fp.table_form)
        return [self._with_lemmas(_entry(f"delta{L}", i + 1, c + 1) + " (chain form)", self.chain.step(z),
                                  chain[i, c], ())
                for (i, c), z in _indexed(fp.Z[L])] + self._short_form_steps()

    def _short_form_steps(self) -> list[Step]:
        """A shorter δ^L that needs an assumption on Y: proved with the assumption substituted in."""
        L, fp = self.net.depth, self.forward
        short = self._short_form()
        if short is None:
            return []
        a, y, steps = columns(fp.A[L]), columns(fp.Y), []
        for (i, c), z in _indexed(fp.Z[L]):
            assume = short.eliminate(y[c])
            step = self._with_lemmas(_entry(f"delta{L}", i + 1, c + 1) + f" (short form, if {short.assumption})",
                                     self.chain.step(z), short.formula(a[c], y[c], i, fp.m), ())
            steps.append(Step(step.name, step.direct.xreplace(assume), step.closed.xreplace(assume), step.depends,
                              assume=assume))
        return steps

    def _short_form(self) -> ShortForm | None:
        return self.net.loss_rule.short_forms.get(self.net.activation(self.net.depth))

    def gradient_steps(self) -> Iterator[Step]:
        """∂E/∂W^l_ij, ∂E/∂b^l_i from δ^l against the chain rule over the edges W → Z^l (and E)."""
        fp = self.forward
        for name, v in fp.parameters.items():
            l, row = fp.parameter_rows[name]
            depends = tuple(_entry(f"delta{l}", row, c + 1) for c in range(self.net.batch))
            closed = self.closed.gradient_equations[v].xreplace(self._as_adjoint)
            yield Step(f"dE/d{name}", self.chain.local(v), closed, depends, parameter=name)


def _indexed(M: sp.Matrix):
    return (((i, c), M[i, c]) for i in range(M.rows) for c in range(M.cols))


def derive(net: Network, *, rules: DeltaRules = BACKPROP, per_sample: bool = False) -> Derivation:
    """Build the symbolic forward pass, the direct partials and the δ equations of ``net``.

    ``per_sample=True`` derives one sample's share of E for m samples (see ForwardPass).
    """
    if not isinstance(net, Network):
        raise SpecError(f"derive takes a Network, such as Network(sizes=(2, 3, 1)); got {type(net).__name__}")
    return Derivation(net, rules, per_sample=per_sample)


def as_derivation(d, what: str) -> Derivation:
    """A public function's first argument: a Derivation, or a Network (derived here); else one line saying so."""
    if isinstance(d, Derivation):
        return d
    if isinstance(d, Network):
        return derive(d)
    raise SpecError(f"{what} takes a Derivation (derive(Network(...))) or a Network; got {type(d).__name__}")
