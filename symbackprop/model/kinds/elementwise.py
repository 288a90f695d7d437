"""An elementwise activation layer: any entry of the activation table (``relu``, ``leaky_relu(0.2)``, a
formula in z), applied to every component: y = g(x), backward ∂E/∂x = dy ⊙ g′(x). The table's entry holds
g (``formula``) and g′ as a textbook prints it (``textbook_derivative``, in x and y); this module reuses
them and copies neither. Where g′ jumps, it takes the step value H(0) the stack states (``relu_at_zero``),
left as the table's placeholder ``RELU_AT_ZERO`` for the engine to replace.
"""
from __future__ import annotations

import sympy as sp

from ..activations import RELU_AT_ZERO, Activation, step_convention
from ..errors import SpecError
from .base import Layer, Stage, Step, Values


def layer(rule: Activation, widths: tuple[int, ...], position: int) -> Layer:
    if not rule.elementwise:                    # still the dense short form's output activation
        why = f"{rule.name} acts on a whole column, not elementwise: the layer graph takes it as its own kind"

        def refused(*args):
            raise SpecError(why)

        return Layer("activation", rule.name, widths[-1], refused, refused, activation=rule, refused=why)

    def forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return xs[0].applyfunc(lambda z: rule.formula(z, position))

    def backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        x = xs[0]
        dx = sp.Matrix(*x.shape, lambda i, c: dy[i, c] * step_convention(
            rule.textbook_derivative(x[i, c], y[i, c], position), RELU_AT_ZERO))
        return [dx], {}

    def numeric_forward(xs: list[sp.Matrix], values: Values) -> sp.Matrix:
        return xs[0].applyfunc(lambda z: rule.numeric_value(z, position))

    def numeric_backward(xs: list[sp.Matrix], y: sp.Matrix, values: Values, dy: sp.Matrix):
        x = xs[0]
        return [sp.Matrix(*x.shape, lambda i, c: dy[i, c] * rule.numeric_derivative(x[i, c], y[i, c], position))], {}

    autodiff = None
    if rule.autodiff is not None:
        def autodiff(ops, xs, values, _rule=rule):
            return _rule.autodiff(ops, xs[0], float(values["relu_at_zero"]))

    return Layer("activation", rule.source or rule.name, widths[-1], forward, backward,
                 tex_forward=r"y = g(x)", tex_backward=r"\frac{\partial E}{\partial x} = dy \odot g'(x)",
                 numeric=(numeric_forward, numeric_backward),
                 analytic=rule.analytic and not rule.kinks, autodiff=autodiff, activation=rule,
                 stages=(Stage("y", rf"y_{{ic}} = g(x_{{ic}}) = {_tex(rule.formula(_X, position))}",
                               lambda f: forward([f["x"]], {})),),
                 steps=(Step("x", r"\frac{\partial E}{\partial x_{ic}} &= \frac{\partial E}{\partial y_{ic}}\,"
                             rf"g'(x_{{ic}}) = dy_{{ic}}\,\Bigl({_tex(_derivative(rule, position))}\Bigr)",
                             "$y_{ic}$ reads $x_{ic}$ alone: one local derivative, $g'$, as the textbook writes it.",
                             lambda f, g: backward([f["x"]], f["y"], {}, g["y"])[0][0]),),
                 about=f"An activation applied to every component on its own: {rule.source or rule.name}.")


_X, _Y = sp.Symbol("x_{ic}", real=True), sp.Symbol("y_{ic}", real=True)


def _derivative(rule: Activation, position: int) -> sp.Expr:
    return rule.textbook_derivative(_X, _Y, position)


def _tex(expr: sp.Expr) -> str:
    """LaTeX of g or g′ in x_{ic} and y_{ic}, the unit step written H(u) (its value at 0 the stack's stated
    convention, said once in the document)."""
    expr = expr.replace(lambda e: isinstance(e, sp.Heaviside), lambda e: sp.Function("H")(e.args[0]))
    return sp.latex(expr)
