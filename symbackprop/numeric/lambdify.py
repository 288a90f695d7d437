"""NumPy functions from a derivation: the forward pass, the loss, and the gradient by three routes.

    direct   the direct side's chain-rule partials, one expression per parameter over every path
             to E (common subexpressions shared by ``cse``); it never sees the δ equations
    delta    the closed-form component equations: δ^L, δ^l from δ^{l+1}, ∂E/∂W^l_ij from δ^l
    matrix   the same δ equations in matrix form, vectorised with ``@`` over all samples at once

Every route is Python source printed from one sample's share of E for m samples
(``derive(…, per_sample=True)``): the component routes hold one unit per variable, an array over
the samples, and sum the shares; the matrix route works on whole matrices. The source is what
runs, and ``Lambdified.source(route)`` prints it.

Where a formula would overflow, the code uses an equal stable form from ``stable`` (the tests
prove each equal): σ(z) without e^{-z}, bce and cce in z by softplus and log-sum-exp. The
direct side's activation edges are written in the form their lemmas prove equal to SymPy's
derivative (e^{-z}/(1+e^{-z})² is σ(z)(1 − σ(z)), which does not overflow).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cached_property

import numpy as np
import sympy as sp

from ..model.activations import ACTIVATIONS
from ..model.errors import SpecError
from ..model.spec import Network, check_symbolic_size
from ..model.stable import Expit
from ..symbolic import delta
from ..symbolic.delta import BACKPROP, ClosedForm, DeltaRules
from ..symbolic.derive import Derivation
from ..symbolic.direct import ChainRule, adjoint_symbol
from ..symbolic.forward import ForwardPass, m
from . import codegen
from .arrays import check_data, check_inputs, check_params, check_weight_decay_value, parameter_shapes

ROUTES = ("direct", "delta", "matrix")


def _check_numeric(net: Network) -> None:
    generic = [l for l in range(1, net.depth + 1) if not net.rule(l).concrete]
    if generic:
        raise SpecError(f"lambdify needs concrete activations; layer {generic[0]} is {net.activation(generic[0])} "
                        f"(an undefined g has no numeric value); allowed: "
                        f"{', '.join(n for n, a in ACTIVATIONS.items() if a.concrete)}")


def activation_value(fp: ForwardPass, l: int, i: int, c: int) -> sp.Expr:
    """A^l_ic as the NumPy code computes it: the entry's g^l, or its stable form."""
    rule, z = fp.net.rule(l), fp.Z[l]
    return rule.numeric_value(z[i, c], l) if rule.elementwise else rule.numeric_value(list(z[:, c]), i)


def activation_derivative(fp: ForwardPass, l: int, i: int, c: int) -> sp.Expr:
    """g^l'(Z^l_ic) (elementwise layers) as the NumPy code computes it: the entry's, or its stable form."""
    return fp.table_form(fp.net.rule(l).numeric_derivative(fp.Z[l][i, c], fp.A[l][i, c], l))


def loss_term(fp: ForwardPass, i: int, c: int) -> sp.Expr:
    """One summand of the loss, before 1/m, as the NumPy code computes it."""
    L = fp.net.depth
    stable = fp.net.loss_rule.stable_after.get(fp.net.activation(L))
    if stable is not None:
        return stable(list(fp.Z[L][:, c]), list(fp.Y[:, c]), i)
    return fp.net.loss_rule.term(fp.A[L][i, c], fp.Y[i, c])


def _targets(names) -> str:
    """Unpacking targets: "a, b" or "a," for one."""
    names = list(names)
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _elementwise(net: Network, l: int) -> bool:
    return net.rule(l).elementwise


def _gprime(l: int, i: int) -> sp.Symbol:
    """The variable holding g^l'(Z^l_i) (one unit, all samples)."""
    return sp.Symbol(f"gprime{l}_{i + 1}")


class Routes:
    """The generated functions, built from one sample's share of E for m samples.

    The matrix code needs no symbol per weight, so it is built for a network of any size; the
    component routes hold a variable per parameter and keep to ``spec.LIMITS``.
    """

    def __init__(self, net: Network, rules: DeltaRules):
        self.net = net
        self.fp = ForwardPass(dataclasses.replace(net, batch=1), per_sample=True)
        self.closed = ClosedForm(self.fp, rules)
        self.chain = ChainRule(self.fp)
        self.weight_decay = ForwardPass(net).weight_decay     # λ of the whole E, as the matrix equations take it

    @cached_property
    def arguments(self) -> list[str]:
        args = list(parameter_shapes(self.net)) + ["X", "Y"]
        return args + (["weight_decay"] if self.weight_decay.free_symbols else [])

    def _names(self, component: bool) -> dict[sp.Basic, str]:
        """Component code: Z1_2_1 prints as Z1_2 (unit 2, every sample); matrix code: as Z1[1]."""
        fp, out = self.fp, {m: "m"}
        out.update({s: "weight_decay" for s in self.weight_decay.free_symbols})
        for l in range(0, self.net.depth + 1):
            prefix = "X" if l == 0 else f"A{l}"
            mats = [(fp.A[l], prefix)] + ([(fp.Z[l], f"Z{l}")] if l else [])
            mats += [(fp.Y, "Y")] if l == self.net.depth else []
            mats += [(sp.Matrix([_gprime(l, i) for i in range(self.net.sizes[l])]), f"gprime{l}")] if l else []
            mats += [(self.closed.delta[l], f"delta{l}")] if l else []
            for M, name in mats:
                for i, s in enumerate(M):
                    out[s] = f"{name}_{i + 1}" if component else f"{name}[{i}]"
        return out

    # ---- component routes: one variable per unit, an array over the m samples

    def _component(self, name: str, doc: str) -> codegen.Function:
        fp = self.fp
        f = codegen.Function(name, self.arguments, doc, names=self._names(component=True))
        for l in fp.layers:
            f.assign(_targets(w.name for w in fp.W[l]), f"W{l}.ravel()")
            f.assign(_targets(b.name for b in fp.b[l]), f"b{l}")
        f.assign(_targets(f.names[x] for x in fp.X), "X")
        f.assign(_targets(f.names[y] for y in fp.Y), "Y")
        f.assign("m", "X.shape[1]")
        for l in fp.layers:
            f.comment(f"layer {l}: Z^{l} = W^{l} A^{l - 1} + b^{l}, A^{l} = {self.net.activation(l)}(Z^{l})")
            for z in fp.Z[l]:
                f.assign(f.names[z], fp.definitions[z])
            for i, a in enumerate(fp.A[l]):
                f.assign(f.names[a], activation_value(fp, l, i, 0))
        return f

    def _component_gprime(self, f: codegen.Function, layers) -> None:
        for l in layers:
            if _elementwise(self.net, l):
                f.comment(f"g^{l}'(Z^{l}), entrywise")
                for i in range(self.net.sizes[l]):
                    f.assign(f.names[_gprime(l, i)], activation_derivative(self.fp, l, i, 0))

    @staticmethod
    def _sum_over_samples(f: codegen.Function, shares: list[sp.Expr]) -> None:
        """One row per parameter: this sample's share of ∂E/∂v, summed over the m samples."""
        f.assign("shares", f"np.empty(({len(shares)}, m))")
        for k, expr in enumerate(shares):
            f.assign(f"shares[{k}]", expr)
        f.returns = "shares.sum(axis=1)"

    def delta_function(self) -> codegen.Function:
        check_symbolic_size(self.net)
        fp, closed, L = self.fp, self.closed, self.net.depth
        f = self._component("gradient_delta", "∂E/∂W, ∂E/∂b from the δ equations in components; each variable "
                                              "holds one unit for all m samples.")
        self._component_gprime(f, range(1, L))
        f.comment(f"δ^{L} = ∂E/∂Z^{L}: the output equation (1/m: this sample's share)")
        for s, eq in zip(closed.delta[L], closed.delta_equations[L], strict=True):
            f.assign(f.names[s], eq.xreplace(self._stable_output_derivatives()))
        for l in range(L - 1, 0, -1):
            f.comment(f"δ^{l} from δ^{l + 1}: the hidden equation")
            gprime = sp.Matrix([_gprime(l, i) for i in range(self.net.sizes[l])])
            hidden = closed.rules.hidden(fp.W[l + 1], closed.delta[l + 1], gprime)
            for s, eq in zip(closed.delta[l], hidden, strict=True):
                f.assign(f.names[s], fp.table_form(eq))
        f.comment("∂E/∂W^l_ij, ∂E/∂b^l_i from δ^l (λ/m of the decay per sample)")
        self._sum_over_samples(f, [closed.gradient_equations[v] for v in fp.parameters.values()])
        return f

    def _stable_output_derivatives(self) -> dict[sp.Expr, sp.Expr]:
        """g^L'(Z^L) of the table -> its stable form, where the two differ (softplus)."""
        fp, L = self.fp, self.net.depth
        if not _elementwise(self.net, L):
            return {}
        table = delta.activation_derivative(fp, L)
        return {table[i, 0]: activation_derivative(fp, L, i, 0) for i in range(self.net.sizes[L])}

    def _stable_output_delta(self) -> list[sp.Expr] | None:
        """δ^L as the derivative of the loss's stable terms in Z^L, where the textbook output equation
        divides by a quantity that rounds to 0 and the loss has no short form after this output (bce after
        a softmax: ∂E/∂a = (a − y)/(a(1 − a)) with a = 1 in float64 at |z| ~ 40). Equal to the textbook
        rule, which verify proves; used only with that rule, so a rule under test is computed as it stands."""
        fp, L, rule = self.fp, self.net.depth, self.net.loss_rule
        stable = rule.stable_after.get(self.net.activation(L))
        if (stable is None or self.closed.rules.output is not delta.output_delta or self.net.rule(L).elementwise
                or delta.output_delta_collapsed(fp) is not None):
            return None
        z, y = list(fp.Z[L][:, 0]), list(fp.Y[:, 0])
        E = sp.Add(*[stable(z, y, k) for k in range(len(z))]) / m
        return [sp.diff(E, zi) for zi in z]

    def direct_function(self) -> codegen.Function:
        check_symbolic_size(self.net)
        fp = self.fp
        f = self._component("gradient_direct", "∂E/∂W, ∂E/∂b by the chain rule on E: for each parameter, the sum "
                                               "over every path to E of the local derivatives' product.")
        self._component_gprime(f, range(1, self.net.depth))
        partials = self._direct_partials()
        # no pre-optimisations: factor_terms on every partial costs 90% of cse (4-8-8-3: 2.7 s -> 0.4 s)
        replacements, reduced = sp.cse([partials[v] for v in fp.parameters.values()], optimizations=None)
        f.comment("x0, x1, …: subexpressions the parameters' partials share (found by cse)")
        for x, expr in replacements:
            f.assign(x.name, expr)
        f.comment("∂E/∂v: this sample's share (λ/m of the decay per sample)")
        self._sum_over_samples(f, reduced)
        return f

    def _edge_value(self, u: sp.Symbol, v: sp.Symbol) -> sp.Expr:
        """∂u/∂v of one edge: SymPy's diff, except an activation edge, which is written in the form
        its lemma proves equal to SymPy's derivative (hidden units by their g' variable)."""
        fp = self.fp
        for l in fp.layers:
            if u in fp.A[l] and v in fp.Z[l]:
                k, i = list(fp.A[l]).index(u), list(fp.Z[l]).index(v)
                if not _elementwise(self.net, l):
                    return delta.activation_jacobian(fp, l, k, i, 0)
                return _gprime(l, i) if l < self.net.depth else activation_derivative(fp, l, i, 0)
        return self.chain.edge(u, v)

    def _direct_partials(self) -> dict[sp.Symbol, sp.Expr]:
        """∂E/∂v for every node and parameter by the chain rule over the edges, adjoints substituted.

        ∂E/∂Z^L is put over one denominator, which cancels the division by A^L
        (bce: a(1 − a)·((1 − y)/(1 − a) − y/a) is a(1 − y) − y(1 − a)), so saturated outputs give no 0/0.
        """
        fp, chain = self.fp, self.chain
        output_Z = set(fp.Z[self.net.depth])
        adjoint: dict[sp.Symbol, sp.Expr] = {}
        for v in list(fp.definitions)[::-1] + list(fp.parameters.values()):
            consumers = chain.consumers.get(v, ())
            expr = chain.local_with(v, self._edge_value).xreplace({adjoint_symbol(u): adjoint[u] for u in consumers})
            adjoint[v] = sp.together(expr) if v in output_Z else expr
        return adjoint

    # ---- matrix code: whole layers, all samples at once

    def _matrix(self, name: str, arguments: list[str], doc: str, *, in_place: bool = False) -> codegen.Function:
        """The forward pass over whole layers. in_place (the gradient, whose arrays are float64): the bias is
        added into the product, and a hidden layer's A^l overwrites Z^l where g^l' needs only A^l, so
        the pass allocates one array per layer instead of three or more."""
        f = codegen.Function(name, arguments, doc, names=self._names(component=False))
        f.assign("m", "X.shape[1]")
        for l in self.fp.layers:
            f.comment(f"layer {l}: Z^{l} = W^{l} A^{l - 1} + b^{l} 1ᵀ, A^{l} = {self.net.activation(l)}(Z^{l})")
            product = f"W{l} @ {'X' if l == 1 else f'A{l - 1}'}"
            if in_place:
                f.assign(f"Z{l}", product)
                f.update(f"Z{l}", "+", f"b{l}[:, None]")
            else:
                f.assign(f"Z{l}", f"{product} + b{l}[:, None]")
            overwrite = self._overwrites_Z(l) if in_place else None
            if overwrite is not None:
                f.comment(f"  A^{l} written over Z^{l}: g^{l}' needs only A^{l}")
                f.assign(f"A{l}", codegen.Into(overwrite, f"Z{l}"))
            elif _elementwise(self.net, l):
                self._layer(f, f"A{l}", [activation_value(self.fp, l, i, 0) for i in range(self.net.sizes[l])], l)
            else:
                f.assign(f"A{l}", f"_softmax(Z{l})")
        return f

    def _uniform(self, l: int, entries: list[sp.Expr]) -> sp.Expr | None:
        """The one entrywise formula of a layer's array (in Z{l}, A{l}), or None where units differ."""
        shapes = [e.xreplace(self._unit(l, i)) for i, e in enumerate(entries)]
        unit_symbols = {s for i in range(len(entries)) for s in self._unit(l, i)}
        if all(s == shapes[0] for s in shapes) and not shapes[0].free_symbols & unit_symbols:
            return shapes[0]
        return None

    def _gprime_formula(self, l: int) -> sp.Expr | None:
        if not _elementwise(self.net, l):
            return None
        return self._uniform(l, [activation_derivative(self.fp, l, i, 0) for i in range(self.net.sizes[l])])

    def _overwrites_Z(self, l: int) -> sp.Expr | None:
        """A^l's formula as a call that can write into Z^l: a hidden layer whose value is σ or tanh of
        Z^l and whose g^l' reads only A^l (sigmoid, tanh; not relu, whose g' reads Z^l)."""
        if l == self.net.depth or not _elementwise(self.net, l):
            return None
        value = self._uniform(l, [activation_value(self.fp, l, i, 0) for i in range(self.net.sizes[l])])
        gprime = self._gprime_formula(l)
        Z = sp.Symbol(f"Z{l}")
        if value is None or gprime is None or Z in gprime.free_symbols:
            return None
        return value if value.func in (Expit, sp.tanh) and value.args == (Z,) else None

    def _unit(self, l: int, i: int) -> dict[sp.Symbol, sp.Symbol]:
        """Unit i's one-sample symbols -> its layer's whole array."""
        fp = self.fp
        out = {fp.Z[l][i, 0]: sp.Symbol(f"Z{l}"), fp.A[l][i, 0]: sp.Symbol(f"A{l}"),
               _gprime(l, i): sp.Symbol(f"gprime{l}")}
        if l == self.net.depth:
            out[fp.Y[i, 0]] = sp.Symbol("Y")
        return out

    def _layer(self, f: codegen.Function, target: str, entries: list[sp.Expr], l: int) -> None:
        """target = one array for layer l: a single entrywise formula when every unit's entry is the
        same formula in its own unit (sigmoid, mse), else row by row (softmax, log-sum-exp)."""
        uniform = self._uniform(l, entries)
        if uniform is not None:
            f.assign(target, uniform)
            return
        replacements, reduced = sp.cse(entries, optimizations="basic")
        for x, expr in replacements:
            f.assign(x.name, expr)
        f.assign(target, codegen.Stack(tuple(reduced)))

    def matrix_function(self) -> codegen.Function:
        """Back-propagation layer by layer, last first: ∂E/∂W^l and ∂E/∂b^l as soon as δ^l is known, then
        δ^{l-1}, after which δ^l and A^{l-1} are dead and released; δ^{l-1} is multiplied by g^{l-1}'
        in place, factor by factor. Each step keeps to the fewest arrays alive at once, since NumPy's
        large arrays come fresh from the OS (a page fault per 4 kB) when the heap has grown."""
        fp, closed, L, n = self.fp, self.closed, self.net.depth, self.net.sizes
        f = self._matrix("gradient_matrix", self.arguments,
                         "∂E/∂W, ∂E/∂b from the δ equations in matrix form, all m samples at once.", in_place=True)
        f.comment(f"δ^{L} = ∂E/∂Z^{L}: the output equation")
        output = self._stable_output_delta() or closed.rules.output(fp).applyfunc(fp.table_form)  # one column
        column_sum = sp.Symbol("Y_column_sum")                          # 1ᵀY (softmax + cce): one array
        f.names[column_sum] = "Y.sum(axis=0)"
        stable = {**self._stable_output_derivatives(), **({sp.Add(*fp.Y): column_sum} if n[L] > 1 else {})}
        self._layer(f, f"delta{L}", [e.xreplace(stable) for e in output], L)
        delta = {l: sp.MatrixSymbol(f"delta{l}", n[l], m) for l in fp.layers}
        gradients = {}
        for l in range(L, 0, -1):
            f.comment(f"∂E/∂W^{l} and ∂E/∂b^{l}")
            A_prev = sp.MatrixSymbol("X" if l == 1 else f"A{l - 1}", n[l - 1], m)
            b = sp.MatrixSymbol(f"b{l}", n[l], 1)
            f.names[b] = f"b{l}[:, None]"
            gradients[l] = (f.assign(f"dW{l}", closed.rules.weight_gradient(delta[l], A_prev, self._W(l),
                                                                             self.weight_decay)),
                            f.assign(f"db{l}", closed.rules.bias_gradient(delta[l], b, self.weight_decay)))
            if l > 1:
                self._hidden_delta(f, l - 1, delta)
                f.comment("arrays no later line reads: freed, so the next ones reuse their memory")
                f.release([f"delta{l}"] + ([f"Z{l}", f"A{l}"] if l == L else []) + [f"Z{l - 1}", f"A{l - 1}"])
        f.returns = ", ".join(name for l in fp.layers for name in gradients[l])
        return f

    def _hidden_delta(self, f: codegen.Function, l: int, delta: dict) -> None:
        """δ^l from δ^{l+1}. The hidden equation (W^{l+1})ᵀδ^{l+1} ⊙ g^l' is computed as the product,
        then ``*=`` each factor of g^l' (σ: A, then 1 − A written into A, its last use); any other
        form of the equation (a rule under test), or a product that is not a new array to write into,
        is printed as it stands, with g^l' as an array."""
        f.comment(f"δ^{l} from δ^{l + 1}: the hidden equation")
        gprime = sp.MatrixSymbol(f"gprime{l}", self.net.sizes[l], m)
        equation = self.closed.rules.hidden(self._W(l + 1), delta[l + 1], gprime)
        formula = self._gprime_formula(l)
        others = [a for a in equation.args if a != gprime] if isinstance(equation, sp.HadamardProduct) else []
        fresh = len(others) == 1 and len(equation.args) == 2 and isinstance(others[0], sp.MatMul)  # a new array
        if formula is None or not fresh:
            self._layer(f, f"gprime{l}", [activation_derivative(self.fp, l, i, 0) for i in range(self.net.sizes[l])],
                        l)
            f.assign(f"delta{l}", equation)
            return
        f.comment(f"  in place: the product, then times each factor of g^{l}'(Z^{l}) = "
                  f"{codegen.NumPyCode(f.names).doprint(formula)}")
        f.assign(f"delta{l}", others[0])
        A = sp.Symbol(f"A{l}")
        factors = sorted((a for a in sp.Mul.make_args(formula) if a != 1), key=lambda a: a == 1 - A)
        for factor in factors:
            if factor == 1 - A:
                f.update(f"delta{l}", "*", f"np.subtract(1, A{l}, out=A{l})")
            else:
                f.update(f"delta{l}", "*", factor)

    def _W(self, l: int) -> sp.MatrixSymbol:
        return sp.MatrixSymbol(f"W{l}", self.net.sizes[l], self.net.sizes[l - 1])

    def forward_function(self) -> codegen.Function:
        args = list(parameter_shapes(self.net)) + ["X"]
        f = self._matrix("forward", args, "A^L, the network's output for every column (sample) of X.")
        f.returns = f"A{self.net.depth}"
        return f

    def loss_function(self) -> codegen.Function:
        fp, L = self.fp, self.net.depth
        f = self._matrix("loss", self.arguments, f"E: {self.net.loss_rule.title} + (λ/2) Σ_l ||W^l||², "
                                                 "written to stay finite however large |Z| is.")
        f.comment("one term per output unit and sample, before 1/m")
        self._layer(f, "terms", [loss_term(fp, i, 0) for i in range(self.net.sizes[L])], L)
        f.returns = "np.sum(terms)/m"
        if self.weight_decay != 0:
            squares = " + ".join(f"np.sum(W{l}**2)" for l in fp.layers)
            f.returns += f" + ({codegen.NumPyCode(f.names).doprint(self.weight_decay)})/2*({squares})"
        return f


class Lambdified:
    """NumPy functions of one network: ``forward``, ``loss`` and ``gradient`` by route.

    Arguments are checked (names, shapes, finite values, targets in the loss's domain) and
    taken as float64; X and Y may have any number of columns (samples).
    """

    def __init__(self, net: Network, routes: Routes):
        self.net = net
        self._routes = routes
        self._functions: dict[str, codegen.Function] = {}
        self._compiled: dict[str, object] = {}

    def __repr__(self) -> str:
        return f"Lambdified({self.net!r})"

    def _function(self, name: str) -> codegen.Function:
        if name not in self._functions:
            builders = {"forward": self._routes.forward_function, "loss": self._routes.loss_function,
                        "direct": self._routes.direct_function, "delta": self._routes.delta_function,
                        "matrix": self._routes.matrix_function}
            if name not in builders:
                raise SpecError(f"unknown route {name!r}; allowed: {', '.join(ROUTES)} (and forward, loss)")
            self._functions[name] = builders[name]()
        return self._functions[name]

    def source(self, route: str = "matrix") -> str:
        """The Python source of a route's gradient (or of ``forward``, ``loss``): what runs."""
        return codegen.source(self._function(route))

    def compiled(self, name: str):
        """The generated function itself, unchecked arguments: (W1, b1, …, X[, Y]) -> result."""
        if name not in self._compiled:
            function = self._function(name)
            self._compiled[name] = codegen.compile_function(codegen.source(function), function.name)
        return self._compiled[name]

    def build(self) -> Lambdified:
        """Generate and compile every function now (otherwise each is built on first use)."""
        for name in ("forward", "loss", *ROUTES):
            self.compiled(name)
        return self

    def _extra(self, weight_decay) -> tuple:
        if not self._routes.weight_decay.free_symbols:
            return () if weight_decay is None else (check_weight_decay_value(self.net, weight_decay),)
        if weight_decay is None:
            raise SpecError(f"weight decay is the symbol {self._routes.weight_decay}: pass weight_decay=<number>")
        return (check_weight_decay_value(self.net, weight_decay),)

    def forward(self, params: Mapping, X) -> np.ndarray:
        """A^L for every column of X: shape (n_L, m)."""
        params = check_params(self.net, params)
        return self.compiled("forward")(*params.values(), check_inputs(self.net, X))

    def loss(self, params: Mapping, X, Y, *, weight_decay=None) -> float:
        """E for the samples in the columns of X and Y."""
        params = check_params(self.net, params)
        X, Y = check_data(self.net, X, Y)
        return float(self.compiled("loss")(*params.values(), X, Y, *self._extra(weight_decay)))

    def gradient(self, params: Mapping, X, Y, *, route: str = "matrix", weight_decay=None) -> dict[str, np.ndarray]:
        """∂E/∂W^l and ∂E/∂b^l as arrays keyed like params, by one route."""
        if route not in ROUTES:
            raise SpecError(f"unknown route {route!r}; allowed: {', '.join(ROUTES)}")
        params = check_params(self.net, params)
        X, Y = check_data(self.net, X, Y)
        out = self.compiled(route)(*params.values(), X, Y, *self._extra(weight_decay))
        return self.unflatten(out) if route != "matrix" else {
            name: np.reshape(value, shape) for (name, shape), value in zip(parameter_shapes(self.net).items(), out,
                                                                            strict=True)}

    def unflatten(self, flat: np.ndarray) -> dict[str, np.ndarray]:
        """Split one vector in ``Derivation.parameters`` order (W^l row by row, then b^l) into arrays."""
        out, k = {}, 0
        for name, shape in parameter_shapes(self.net).items():
            size = int(np.prod(shape))
            out[name] = np.asarray(flat[k:k + size]).reshape(shape)
            k += size
        return out


def lambdify(d: Derivation | Network) -> Lambdified:
    """NumPy forward, loss and gradient functions (three routes) for a derivation or a network.

    >>> f = lambdify(Network(sizes=(1, 1), activations="identity", loss="mse"))
    >>> params = {"W1": [[2.0]], "b1": [0.5]}
    >>> f.forward(params, [[1.0, 3.0]])
    array([[2.5, 6.5]])
    >>> f.gradient(params, [[1.0, 3.0]], [[2.0, 6.0]])["W1"]   # mean of (a − y)·x over 2 samples
    array([[1.]])
    """
    if not isinstance(d, (Derivation, Network)):
        raise SpecError(f"lambdify takes a Derivation (derive(net)) or a Network; got {type(d).__name__}")
    net = d.net if isinstance(d, Derivation) else d
    _check_numeric(net)
    return Lambdified(net, Routes(net, d.closed.rules if isinstance(d, Derivation) else BACKPROP))
