"""Shared by the tests: the judge of gradient agreement, planted wrong δ equations, the LaTeX tools."""
import dataclasses
import os
import shutil

import numpy as np
import pytest

from symbackprop.numeric.arrays import entry_name
from symbackprop.symbolic.delta import BACKPROP, hadamard, output_delta
from symbackprop.writeup.pdf import INSTALL_HINT, find_engine


def assert_gradients_close(got: dict, want: dict, *, rtol: float, what: str = "") -> None:
    """Every entry within rtol of the reference, relative to the array's largest entry where the entry
    itself is near 0 (a difference of two O(1) terms has no relative accuracy of its own)."""
    assert list(got) == list(want), f"{what}: arrays {list(got)} != {list(want)}"
    for name, w in want.items():
        g = np.asarray(got[name])
        assert g.shape == w.shape, f"{what}: {name} has shape {g.shape}, expected {w.shape}"
        scale = np.maximum(np.abs(w), 1e-3 * np.abs(w).max(initial=0) + 1e-300)
        excess = np.abs(g - w) / scale
        if not np.all(excess <= rtol):
            k = np.unravel_index(int(np.argmax(excess)), w.shape)
            raise AssertionError(f"{what}: {entry_name(name, k)} is {g[k]!r}, reference {w[k]!r} "
                                 f"(relative error {excess[k]:.2e} > {rtol:g})")


PLANTED = {
    "missing 1/m": ("output", lambda fp: output_delta(fp) * fp.m),
    "transposed weight": ("hidden", lambda W, delta, gprime: hadamard(W * delta, gprime)),
    "missing g' factor": ("hidden", lambda W, delta, gprime: W.T * delta),
    "decay on biases": ("bias_gradient", lambda delta, b, lam: BACKPROP.bias_gradient(delta, b, lam) + lam * b),
    "no decay term": ("weight_gradient", lambda delta, A_prev, W, lam: delta * A_prev.T),
}


def planted(slip: str):
    field, rule = PLANTED[slip]
    return dataclasses.replace(BACKPROP, **{field: rule})


def require_latex() -> list[str]:
    """The engine command; without latexmk, pdflatex and pdftotext: fail in CI, skip elsewhere."""
    missing = [tool for tool in ("latexmk", "pdflatex", "pdftotext") if shutil.which(tool) is None]
    if missing:
        reason = f"{', '.join(missing)} not on PATH: {INSTALL_HINT} poppler-utils"
        if os.environ.get("CI"):
            pytest.fail(f"CI must have a LaTeX engine: {reason}")
        pytest.skip(reason)
    return find_engine()


def require_extra(module: str, extra: str = "notebooks"):
    """An optional extra's module: skip where it is not installed, but fail under CI, which installs it."""
    try:
        return __import__(module)
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"{module} is installed by `make test` (extra '{extra}'); CI must not skip it")
        pytest.skip(f"{module}: pip install symbackprop[{extra}]", allow_module_level=True)
