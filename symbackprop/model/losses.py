"""Losses as data: the error E over the batch, and the textbook ∂E/∂A^L the δ equations start from.

``error(A, Y, m)`` sums over every output unit and sample (A, Y: lists of columns).
``gradient(a, y, m)`` is the closed form of ∂E/∂A^L_ic for one entry; it is proved, not trusted.
``collapses`` names output activations for which δ^L has a short textbook form, with that form
(as a function of the output column a, target column y, unit i and batch size m), true for any Y.
``short_forms`` are shorter still but true only under an assumption on Y, stated with them;
``eliminate`` writes the assumption as a substitution for one target column.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sympy as sp

Column = list[sp.Expr]


@dataclass(frozen=True)
class ShortForm:
    formula: Callable[[Column, Column, int, int], sp.Expr]
    assumption: str
    eliminate: Callable[[Column], dict]


COLUMNS_SUM_TO_ONE = "every column of Y sums to 1 (one-hot or a distribution)"


def _last_target_from_the_rest(y: Column) -> dict:
    return {y[-1]: 1 - sp.Add(*y[:-1])}


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    term: Callable[[sp.Expr, sp.Expr], sp.Expr]          # one (a, y) summand, before 1/m
    gradient: Callable[[sp.Expr, sp.Expr, int], sp.Expr]  # ∂E/∂a for one entry
    collapses: dict[str, Callable[[Column, Column, int, int], sp.Expr]] = field(default_factory=dict)
    short_forms: dict[str, ShortForm] = field(default_factory=dict)
    needs_unit_interval: bool = False
    needs_softmax: bool = False

    def error(self, A: list[Column], Y: list[Column], m: int) -> sp.Expr:
        terms = [self.term(a, y) for a_col, y_col in zip(A, Y, strict=True)
                 for a, y in zip(a_col, y_col, strict=True)]
        return sp.Add(*terms) / m


def _softmax_cce_delta(a: Column, y: Column, i: int, m: int) -> sp.Expr:
    # (A^L 1ᵀY − Y)/m: equals (A^L − Y)/m only when the column of Y sums to 1.
    return (a[i] * sp.Add(*y) - y[i]) / m


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in (
        Loss("mse", "half mean squared error",
             lambda a, y: (a - y) ** 2 / 2,
             lambda a, y, m: (a - y) / m),
        Loss("bce", "binary cross-entropy",
             lambda a, y: -(y * sp.log(a) + (1 - y) * sp.log(1 - a)),
             lambda a, y, m: (a - y) / (m * a * (1 - a)),
             collapses={"sigmoid": lambda a, y, i, m: (a[i] - y[i]) / m},
             needs_unit_interval=True),
        Loss("cce", "categorical cross-entropy",
             lambda a, y: -y * sp.log(a),
             lambda a, y, m: -y / (m * a),
             collapses={"softmax": _softmax_cce_delta},
             short_forms={"softmax": ShortForm(lambda a, y, i, m: (a[i] - y[i]) / m, COLUMNS_SUM_TO_ONE,
                                               _last_target_from_the_rest)},
             needs_softmax=True),
    )
}
