"""Compare the symbolic gradient with every other way of getting it, array by array.

References: central finite differences (and a sweep of the step h showing truncation error
~h² against round-off ~ε/h), complex-step differentiation (analytic activations only), the
hand-written NumPy back-prop, the other symbolic routes, autodiff libraries where installed
(autograd, JAX, PyTorch), and a user's own gradients. For each reference and parameter array:
the largest absolute and relative error, the worst entry by name, and pass or fail against
a tolerance stated with it (every one stricter than torch.autograd.gradcheck's float64
defaults, atol 1e-5 and rtol 1e-3).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..model.errors import SpecError
from ..model.spec import LIMITS, Network, symbolic_fits
from ..symbolic.derive import Derivation
from . import autodiff, handwritten
from .arrays import check_data, check_params, check_weight_decay_value, entry_name
from .lambdify import ROUTES, lambdify

# (atol, rtol): an entry passes when |symbolic − reference| ≤ atol + rtol·|reference|.
TOLERANCES: dict[str, tuple[float, float]] = {
    "central differences": (1e-6, 1e-4),   # truncation + round-off at h = ε^(1/3)·max(1, |θ|)
    "complex step": (1e-11, 1e-9),         # no subtraction: error ~h² with h = 1e-20
    "exact": (1e-11, 1e-9),                # another exact gradient in float64: only round-off differs
}
SWEEP = tuple(10.0 ** -k for k in range(1, 13))
REFERENCES = ("routes", "central differences", "complex step", "hand-written", "autograd", "jax", "torch")
# A relu pre-activation this close to its kink can be crossed by a finite-difference step.
KINK_REACH = 1e-3
# Past this many parameters, finite differences and complex step check a sample of entries per array.
SAMPLED_ENTRIES = 64


@dataclass(frozen=True)
class Comparison:
    reference: str
    array: str
    max_abs: float
    max_rel: float
    worst: str
    atol: float
    rtol: float
    passed: bool
    entries: int
    excess: float = 0.0        # the worst entry's error in units of its tolerance (> 1 fails)


@dataclass
class GradcheckReport:
    net: Network
    route: str
    comparisons: list[Comparison] = field(default_factory=list)
    sweep: list[tuple[float, float]] = field(default_factory=list)   # (h, largest |FD − symbolic|)
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.comparisons)

    @property
    def failed(self) -> list[Comparison]:
        """The failing comparisons, furthest outside their tolerance first."""
        return sorted((c for c in self.comparisons if not c.passed), key=lambda c: -c.excess)

    def named(self, parameter: Callable[[str], str]) -> GradcheckReport:
        """The same report with each worst entry named as a notation names parameters (``Notation.parameter``:
        W2[1,3] is θ(2)[1,3] in theta, W2[3,1] where samples are rows)."""
        comparisons = [replace(c, worst=parameter(c.worst)) for c in self.comparisons]
        return replace(self, comparisons=comparisons)

    def to_dict(self) -> dict:
        return {"ok": self.ok, "route": self.route, "sizes": list(self.net.sizes),
                "comparisons": [asdict(c) for c in self.comparisons],
                "sweep": [{"h": h, "max_abs": e} for h, e in self.sweep], "skipped": self.skipped}

    def table(self) -> str:
        rows = [("reference", "array", "max abs err", "max rel err", "worst entry", "atol", "rtol", "")]
        rows += [(c.reference, c.array, f"{c.max_abs:.2e}", f"{c.max_rel:.2e}", c.worst, f"{c.atol:g}",
                  f"{c.rtol:g}", "ok" if c.passed else "FAIL") for c in self.comparisons]
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        if self.sweep:
            lines.append("")
            lines.append("central differences, step sweep (largest |FD − symbolic|):")
            lines.append("  " + "  ".join(f"h=1e{int(round(np.log10(h)))}: {e:.1e}" for h, e in self.sweep))
        for name, reason in self.skipped.items():
            lines.append(f"skipped {name}: {reason}")
        return "\n".join(lines)


def compare(reference: str, symbolic: dict, other: dict, tolerance: tuple[float, float],
            entries: dict[str, np.ndarray] | None = None) -> list[Comparison]:
    """One Comparison per array; ``entries`` restricts an array to some flat indices (sampled FD)."""
    atol, rtol = tolerance
    out = []
    for name, g in symbolic.items():
        r = np.asarray(other[name], dtype=np.float64)
        if r.shape != g.shape:
            raise SpecError(f"{reference}: {name} has shape {r.shape}; expected {g.shape}")
        index = entries[name] if entries is not None else np.arange(g.size)
        g_flat, r_flat = g.ravel()[index], r.ravel()[index]
        error = np.abs(g_flat - r_flat)
        error = np.where(np.isnan(error), np.inf, error)
        relative = error / np.maximum(np.abs(r_flat), np.finfo(float).tiny)
        excess = error / (atol + rtol * np.abs(r_flat))
        k = int(np.argmax(excess))
        worst = entry_name(name, np.unravel_index(int(index[k]), g.shape))
        out.append(Comparison(reference, name, float(error.max()), float(relative.max()), worst, atol, rtol,
                              bool(np.all(excess <= 1)), int(index.size), float(excess[k])))
    return out


def _entries(params: dict, rng: np.random.Generator) -> dict[str, np.ndarray] | None:
    """Every entry, or a fixed-seed sample per array when the network is large."""
    if sum(p.size for p in params.values()) <= LIMITS["parameters"]:
        return None
    return {k: np.sort(rng.choice(p.size, size=min(p.size, SAMPLED_ENTRIES), replace=False))
            for k, p in params.items()}


def _per_entry(params: dict, entries, derivative) -> dict[str, np.ndarray]:
    """derivative(name, k) for each entry k of each array (NaN where a sample leaves it out)."""
    out = {}
    for name, p in params.items():
        g = np.full(p.size, np.nan)
        for k in (entries[name] if entries is not None else range(p.size)):
            g[k] = derivative(name, k)
        out[name] = g.reshape(p.shape)
    return out


def central_differences(loss, params: dict, h_scale: float | None, entries=None) -> dict[str, np.ndarray]:
    """(E(θ + h e_k) − E(θ − h e_k)) / 2h for each entry k, h = h_scale·max(1, |θ_k|)
    (h_scale = ε^(1/3) balances truncation against round-off)."""
    h_scale = np.finfo(float).eps ** (1 / 3) if h_scale is None else h_scale

    def derivative(name: str, k: int) -> float:
        p = params[name]
        h = h_scale * max(1.0, abs(p.flat[k]))
        up, down = p.copy(), p.copy()
        up.flat[k] += h
        down.flat[k] -= h
        h = (up.flat[k] - down.flat[k]) / 2            # the step actually taken, after rounding
        return (loss({**params, name: up}) - loss({**params, name: down})) / (2 * h)

    return _per_entry(params, entries, derivative)


def complex_step(loss, params: dict, entries=None, h: float = 1e-20) -> dict[str, np.ndarray]:
    """Im E(θ + ih e_k) / h: no subtraction, so no round-off; needs E analytic in θ."""
    def derivative(name: str, k: int) -> float:
        shifted = params[name].astype(complex)
        shifted.flat[k] += 1j * h
        return np.imag(loss({**params, name: shifted})) / h

    return _per_entry(params, entries, derivative)


def gradcheck(net: Network | Derivation, params, X, Y, *, route: str = "matrix", gradients=None,
              references: tuple[str, ...] | None = None, weight_decay: float | None = None,
              seed: int = 0, progress: Callable[[int, int], None] | None = None) -> GradcheckReport:
    """The symbolic gradient of ``route`` against every reference that applies here.

    ``progress(done, total)`` after each reference (the routes, finite differences, … count one each).

    ``gradients``: a user's own ∂E/∂W, ∂E/∂b (dict keyed like params), always checked against
    the symbolic gradient when given. ``references`` limits the others to some of REFERENCES.
    """
    wanted = _references(references, gradients)
    f = lambdify(net)
    net = f.net
    params = check_params(net, params)
    X, Y = check_data(net, X, Y)
    lam = _weight_decay(net, weight_decay)
    extra = {"weight_decay": lam} if isinstance(net.weight_decay, str) else {}
    report = GradcheckReport(net, route)
    loss = f.compiled("loss")
    args = (X, Y, *extra.values())

    def E(p: dict):
        return loss(*p.values(), *args)

    with np.errstate(all="ignore"):                       # an overflow here is said in one line, below
        symbolic = f.gradient(params, X, Y, route=route, **extra)
        at_params = E(params)
    _refuse_overflow(at_params, symbolic)
    entries = _entries(params, np.random.default_rng(seed))
    done, total = 0, len(wanted) + (gradients is not None)

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(min(done, total), total)

    if "routes" in wanted:
        if not symbolic_fits(net):
            report.skipped["routes"] = (f"the component routes keep to {LIMITS['parameters']} parameters and "
                                        f"{LIMITS['layers']} layers")
        for other in ROUTES if symbolic_fits(net) else ():
            if other != route:
                report.comparisons += compare(f"route {other}", symbolic, f.gradient(params, X, Y, route=other,
                                                                                    **extra), TOLERANCES["exact"])
        tick()
    kink = _nearest_kink(net, params, X, Y)
    if "central differences" in wanted and kink is not None:
        report.skipped["central differences"] = (f"{kink[1]} is {kink[0]:.1e} from its kink; a step "
                                                 "across it differentiates the wrong piece")
    elif "central differences" in wanted and (why := _rounded_away(at_params)):
        report.skipped["central differences"] = why
    elif "central differences" in wanted:
        report.comparisons += compare("central differences", symbolic, central_differences(E, params, None, entries),
                                      TOLERANCES["central differences"], entries)
        report.sweep = [(h, max(float(np.nanmax(np.abs(symbolic[k] - v))) for k, v in
                                central_differences(E, params, h, entries).items())) for h in SWEEP]
    if "central differences" in wanted:
        tick()
    if "complex step" in wanted:
        not_analytic = [r.name for r in net.layer_rules if not r.analytic]
        not_analytic += [net.loss_rule.name] if not net.loss_rule.analytic else []
        if not_analytic:
            report.skipped["complex step"] = (f"{not_analytic[0]} is not analytic (complex step needs E analytic "
                                              "in the parameters)")
        else:
            report.comparisons += compare("complex step", symbolic, complex_step(E, params, entries),
                                          TOLERANCES["complex step"], entries)
        tick()
    if "hand-written" in wanted:
        try:
            hand = handwritten.gradient(net, params, X, Y, weight_decay=lam)
            report.comparisons += compare("hand-written NumPy back-prop", symbolic, hand, TOLERANCES["exact"])
        except handwritten.Refused as refused:
            report.skipped["hand-written"] = str(refused)
        tick()
    for backend in autodiff.BACKENDS:
        if backend not in wanted:
            continue
        if backend not in autodiff.available():
            report.skipped[backend] = f"not installed (pip install {backend})"
            continue
        try:
            report.comparisons += compare(backend, symbolic, autodiff.gradient(backend, net, params, X, Y, lam),
                                          TOLERANCES["exact"])
        except autodiff.Refused as refused:
            report.skipped[backend] = str(refused)
        tick()
    if gradients is not None:
        # the symbolic gradient is the reference here: relative errors are relative to it
        report.comparisons += compare("your gradients", check_params(net, gradients, label="your gradients"),
                                      symbolic, TOLERANCES["exact"])
    if not report.comparisons:
        raise SpecError(f"nothing was compared: {'; '.join(f'{k}: {v}' for k, v in report.skipped.items())}")
    return report


def _refuse_overflow(value: float, symbolic: dict[str, np.ndarray]) -> None:
    """One line, not a table of failures, when float64 itself overflows at these parameters: E or the generated
    gradient is inf or nan, so every reference computed in float64 would 'fail' against it and say nothing about
    whether the gradient is right."""
    bad = [(name, k) for name, g in symbolic.items() for k in zip(*np.nonzero(~np.isfinite(g)), strict=True)]
    if np.isfinite(value) and not bad:
        return
    where = (f"E = {value:.3g}" if not np.isfinite(value) else
             f"the generated ∂E/∂{bad[0][0]}[{','.join(str(i + 1) for i in bad[0][1])}] is "
             f"{symbolic[bad[0][0]][bad[0][1]]:.3g}")
    raise SpecError(f"float64 overflows at these parameters and data ({where}), so no gradient can be compared "
                    f"here; this says nothing about the derivation: scale the parameters or the data down")


def _rounded_away(value: float) -> str:
    """Why central differences cannot check this gradient, if they cannot: E(θ ± h) are rounded to ε|E|, so the
    difference quotient carries an error of about ε|E|/h; past their absolute tolerance a small entry's quotient is
    round-off alone and proves nothing either way (at |E| ~ 1 it is ~4e-11)."""
    atol, _ = TOLERANCES["central differences"]
    eps = np.finfo(float).eps
    with np.errstate(over="ignore", invalid="ignore"):
        noise = eps * abs(value) / eps ** (1 / 3)            # the smallest step taken is ε^(1/3)
    if np.isfinite(noise) and noise <= atol:
        return ""
    return (f"E is {value:.3g} here, so central differences carry a round-off of about ε|E|/h = {noise:.2g}, past "
            f"their absolute tolerance {atol:g}: they cannot check this gradient (the exact references can)")


def _references(references, gradients) -> set[str]:
    if references is None:
        return set(REFERENCES)
    if isinstance(references, str) or not all(isinstance(r, str) for r in references):
        raise SpecError(f"references must be a tuple of names from: {', '.join(REFERENCES)}; got {references!r}")
    unknown = [r for r in references if r not in REFERENCES + ("yours",)]
    if unknown:
        raise SpecError(f"unknown reference {unknown[0]!r}; allowed: {', '.join(REFERENCES)}, yours")
    if not references and gradients is None:
        raise SpecError(f"references is empty: name at least one of {', '.join(REFERENCES)}")
    return set(references)


def _nearest_kink(net: Network, params: dict, X, Y) -> tuple[float, str] | None:
    """The closest a pre-activation (or a loss's residual A^L − Y) comes to a kink of its rule at this
    point, with what it is, if within KINK_REACH. Rules without hand-written forms cannot be run here:
    their kinks are not looked for (the README says so)."""
    try:
        Zs, As = handwritten.forward(net, params, X)
    except handwritten.Refused:
        return None
    near = [(float(np.abs(Zs[l] - k).min()), f"a {net.activation(l)} pre-activation of layer {l}")
            for l in range(1, net.depth + 1) for k in net.rule(l).kinks]
    near += [(float(np.abs(As[-1] - Y - k).min()), f"an output's residual A − Y ({net.loss_rule.name})")
             for k in net.loss_rule.kinks]
    closest = min(near, default=None)
    return closest if closest is not None and closest[0] <= KINK_REACH else None


def _weight_decay(net: Network, value) -> float:
    if isinstance(net.weight_decay, str) and value is None:
        raise SpecError(f"weight decay is the symbol {net.weight_decay}: give it a value (weight_decay=…)")
    return float(check_weight_decay_value(net, value)) if value is not None else float(net.weight_decay)
