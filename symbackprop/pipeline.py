"""The whole pipeline in one function: read this first.

Each line is one stage, one sub-package, in the order data flows through them:

    model     a Network: widths, one rule per layer (activations), a loss, a batch
    symbolic  derive: the forward pass and E, the chain rule on E, the closed-form δ equations;
              verify: every partial proved equal to its δ form
    numeric   lambdify: NumPy code by route; gradcheck: against finite differences and references
    writeup   render: the derivation taught in a notation, as LaTeX or Markdown
    claims    check: a reader's own equations proved or refuted (beside the pipeline, on a Derivation)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model.spec import Network
from .numeric.arrays import random_data, random_params
from .numeric.gradcheck import GradcheckReport, gradcheck
from .numeric.lambdify import Lambdified, lambdify
from .symbolic.derive import Derivation, derive
from .symbolic.verify import Report, verify
from .writeup.document import render


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
