"""The whole pipeline in one function: read this first.

Each line is one stage, one sub-package, in the order data flows through them:

    model     a Network: widths, one rule per layer (activations), a loss, a batch
    symbolic  derive: the forward pass and E, the chain rule on E, the closed-form δ equations;
              verify: every partial proved equal to its δ form
    numeric   lambdify: NumPy code by route; gradcheck: against finite differences and references
    writeup   render: the derivation taught in a notation, as LaTeX or Markdown
    claims    check: a reader's own equations proved or refuted (beside the pipeline, on a Derivation)

A layer stack (batch norm, softmax, a residual, conv1d, rnn …) goes through the same stages in ``run_stack``: the
layer graph instead of the δ equations, each kind's entry holding its rules and its derivation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model.layers import Stack
from .model.spec import Network
from .numeric.arrays import random_data, random_params
from .numeric.gradcheck import GradcheckReport, gradcheck
from .numeric.lambdify import Lambdified, lambdify
from .numeric.layers import LayerGradcheck, gradcheck_stack, random_given
from .numeric.layers import random_data as stack_data
from .numeric.layers import random_params as stack_params
from .symbolic.derive import Derivation, derive
from .symbolic.graph import GraphReport, verify_stack
from .symbolic.verify import Report, verify
from .writeup.document import render
from .writeup.stack_document import NUMERIC_SEED, render_stack, stack_document


@dataclass(frozen=True)
class Result:
    derivation: Derivation
    proof: Report
    numeric: Lambdified
    comparison: GradcheckReport
    text: str


def run(net: Network, *, notation: str = "matrix", fmt: str = "latex", samples: int = 4, seed: int = 0) -> Result:
    """Derive, prove, lambdify, gradcheck and write up one network.

    >>> r = run(Network(sizes=(2, 2, 1), activations="tanh", loss="mse", batch=2), fmt="markdown")
    >>> r.proof.ok, r.comparison.ok
    (True, True)
    """
    d = derive(net)                                      # symbolic: E, its partials, the δ equations
    proof = verify(d)                                    # each partial proved equal to its δ form
    f = lambdify(d)                                      # numeric: NumPy code by route
    rng = np.random.default_rng(seed)
    params, (X, Y) = random_params(net, rng), random_data(net, samples, rng)
    comparison = gradcheck(d, params, X, Y, seed=seed)   # symbolic against numeric references
    text = render(d, notation=notation, fmt=fmt)         # the write-up, in the reader's notation
    return Result(d, proof, f, comparison, text)


@dataclass(frozen=True)
class StackResult:
    proof: GraphReport
    comparison: LayerGradcheck
    text: str


def run_stack(stack: Stack, *, fmt: str = "md") -> StackResult:
    """Prove, gradcheck and write up one layer stack.

    >>> from symbackprop.model.layers import network
    >>> r = run_stack(network("input:2, batchnorm, dense:1", loss="mse", batch=3))
    >>> r.proof.ok, r.comparison.ok, "Backward, step by step" in r.text
    (True, True, True)
    """
    proof = verify_stack(stack)                          # symbolic: each kind's rule against the chain rule on E
    rng = np.random.default_rng(NUMERIC_SEED)            # numeric: the rules as NumPy against references
    params, (X, Y) = stack_params(stack, rng), stack_data(stack, stack.batch, rng)
    comparison = gradcheck_stack(stack, params, X, Y, random_given(stack, stack.batch, rng))
    doc = stack_document(stack, proof=proof, numeric=comparison)   # writeup: each rule derived, step by step
    return StackResult(proof, comparison, render_stack(doc, fmt))
