"""The command line: ``symbackprop derive``, ``explain``, ``check``, ``verify`` and ``gradcheck``.

Exit codes: 0 all verified (all comparisons pass, every written equation or claim holds), 1 a
verification, comparison or claim failed, 2 bad input or a file that could not be read or written (one
line on stderr, no traceback; for a LaTeX failure, the log lines that matter follow; for a claim that
cannot be read, the column and what was expected there), 3 an internal error (a bug; ``--debug`` shows
the traceback), 128 + the signal's number when stopped by SIGINT, SIGTERM or SIGHUP (130, 143, 129).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import sys
import threading
import time
import traceback
import zipfile
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .claims.check import check_claims, error_equation
from .claims.parse import split_claims
from .claims.stack import check_stack_claims
from .model.activations import ACTIVATIONS, listed
from .model.activations import PARAMETRISED as ACTIVATION_FACTORIES
from .model.errors import SpecError
from .model.kinds import KINDS
from .model.layers import Stack, split_top_level
from .model.layers import load as load_network
from .model.layers import network as layers_network
from .model.losses import LOSSES
from .model.losses import PARAMETRISED as LOSS_FACTORIES
from .model.notation_file import load as load_notation
from .model.notations import NOTATIONS, Notation, canonical_parameter, notation, preset_values
from .model.notations import register as register_notation
from .model.spec import Network, symbolic_fits
from .numeric.arrays import check_params, parameter_shapes, random_data, random_params
from .numeric.gradcheck import gradcheck
from .numeric.lambdify import ROUTES
from .numeric.layers import gradcheck_stack
from .numeric.layers import random_data as stack_data
from .numeric.layers import random_given as stack_given
from .numeric.layers import random_params as stack_params
from .signals import interrupted, stop_if_signalled
from .symbolic.delta import BACKPROP, DeltaRules
from .symbolic.derive import derive
from .symbolic.graph import verify_stack
from .symbolic.verify import FAILED, Report, verify
from .writeup import seeds
from .writeup.document import EDITIONS, FORMATS, check_formats, write, write_up_batch
from .writeup.explain import explain
from .writeup.numbers import DEFAULT_LEARNING_RATE, DEFAULT_SEED, Inputs
from .writeup.stack import explain_stack
from .writeup.stack_document import STACK_BATCH, write_stack

DEFAULTS = {"sizes": (2, 3, 1), "activations": "sigmoid", "loss": "mse", "batch": 2, "weight_decay": 0}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, instead of usage + message
        raise SpecError(message)


def _sizes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sizes takes comma-separated positive integers such as 2,3,1; got {text!r}") from None


def _per_layer(text: str) -> str | tuple[str, ...]:
    """"tanh,sigmoid" -> one per layer; a comma inside brackets belongs to one formula: max(z, 0.1*z)."""
    parts = split_top_level(text)
    return parts[0] if len(parts) == 1 else tuple(parts)


def _weight_decay(text: str):
    """A number (2, 0.01, 1e-3, 1/2), else a symbol name; Network checks what it may be."""
    try:
        return Fraction(text) if "/" in text else (int(text) if text.strip().isdigit() else float(text))
    except (ValueError, ZeroDivisionError):
        return text


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _learning_rate(text: str) -> float:
    value = _number(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _natural(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return int(text)


def _notation(every: bool = False):
    """--notation: a registered notation's name, ``all``, or a TOML file, read and registered under its name."""
    def read(text: str) -> str:
        if text.endswith(".toml"):
            try:
                return register_notation(load_notation(text)).name
            except SpecError as error:
                raise argparse.ArgumentTypeError(str(error)) from None
        if text in NOTATIONS or every and text == "all":
            return text
        raise argparse.ArgumentTypeError(f"unknown notation {text!r}; allowed: {', '.join(NOTATIONS)}"
                                         f"{', all' if every else ''}, or a file ending in .toml")
    read.__name__ = "notation"
    return read


def _network_options(parser: argparse.ArgumentParser, *, every_notation: bool = False, seeded: bool = False) -> None:
    """The network flags; ``seeded``: unset ones come from the notation's seed network, not the defaults."""
    default = (lambda text: "(default: the notation's seed network)") if seeded else (lambda text: f"(default {text})")
    parser.add_argument("--sizes", type=_sizes, help="layer widths n_0,...,n_L (default 2,3,1)")
    parser.add_argument("--activation", dest="activations", help="one activation for every layer, or one per layer "
                        f"1..L, comma-separated: a name ({listed(ACTIVATIONS, ACTIVATION_FACTORIES)}) or a formula "
                        f"in z such as 'z*sigmoid(z)' {default('sigmoid')}")
    parser.add_argument("--layers", help="the network as a sequence, the long form of --sizes/--activation: "
                        "\"input:2, dense:3, tanh, dense:1, sigmoid\" (a dense layer with no activation is linear); "
                        f"the kinds: {', '.join(KINDS)}; one beyond dense layers and activations makes a layer "
                        "stack, which every command takes")
    parser.add_argument("--network", metavar="FILE.toml", help="the network from a TOML file: layers = [\"input:2\", "
                        "\"dense:3\", \"tanh\", …] and loss, batch, weight_decay, relu_at_zero")
    parser.add_argument("--loss", help=f"{listed(LOSSES, LOSS_FACTORIES)} {default('mse')}")
    parser.add_argument("--batch", type=int, help=f"symbolic batch size m {default(2)}; derive's default is the "
                        "smallest m >= 3 that is no layer's width (4 for 2-3-1), so that no shapes coincide")
    parser.add_argument("--weight-decay", type=_weight_decay, help="λ: a number >= 0 or a symbol name (default 0)")
    parser.add_argument("--relu-at-zero", type=_number, default=0, help="the convention for relu'(0), in [0, 1]")
    parser.add_argument("--preset", choices=list(NOTATIONS),
                        help="start from a seed's network (loss, activation, batch) and notation")
    names = f"{', '.join(NOTATIONS)}, or a course's own notation file (course.toml)"
    if every_notation:
        parser.add_argument("--notation", type=_notation(every=True),
                            help=f"the notation of the write-up: {names}; or all for one document each of the "
                                 f"built-in ones (default matrix)")
    else:
        parser.add_argument("--notation", type=_notation(), help=f"how names are written: {names} (default matrix)")
    parser.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    parser.add_argument("--progress", action="store_true",
                        help="show progress on stderr even when it is not a terminal (on a terminal it always shows)")
    parser.add_argument("--debug", action="store_true", help="on an error, show the traceback too")


def network_from(args: argparse.Namespace) -> tuple[Network, Notation]:
    """Defaults, then the preset's choices, then what the user gave explicitly: a dense network (a layer stack
    with other kinds is refused in one line where the command does not take a stack yet)."""
    net, names = network_or_stack(args)
    if isinstance(net, Stack):
        raise SpecError(f"{args.command} derives dense layers with one activation each; verify, gradcheck, explain and "
                        f"check take the other layer kinds ({', '.join(sorted({layer.kind for layer in net.layers}))})")
    return net, names


def network_or_stack(args: argparse.Namespace) -> tuple[Network | Stack, Notation]:
    """As network_from, and a Stack where the layers hold a kind beyond dense layers and activations."""
    chosen: dict[str, Any] = dict(DEFAULTS)
    if args.preset:
        chosen.update(notation(args.preset).preset)
    given = {k: getattr(args, k) for k in DEFAULTS if getattr(args, k) is not None}
    if isinstance(given.get("activations"), str) and "," in given["activations"]:
        given["activations"] = _per_layer(given["activations"])
    layers, network_file = getattr(args, "layers", None), getattr(args, "network", None)
    flag = {"activations": "--activation", "weight_decay": "--weight-decay"}
    if network_file is not None:
        extra = [flag.get(k, f"--{k}") for k in given] + ["--layers"] * (layers is not None)
        if extra:
            raise SpecError(f"--network gives the whole network; drop {extra[0]}")
        return load_network(network_file), _notation_of(args)
    if layers is not None:
        if "sizes" in given or "activations" in given:
            raise SpecError("--layers is the long form of --sizes and --activation: give one or the other")
        built = layers_network(str(layers), **{k: v for k, v in {**chosen, **given}.items()
                                               if k not in ("sizes", "activations")}, relu_at_zero=args.relu_at_zero)
        if isinstance(built, Stack):
            return built, _notation_of(args)
        given["sizes"], given["activations"] = built.sizes, built.layer_rules
    if args.preset and "activations" not in given:        # a preset's (hidden, output) pair, at the depth given
        stretched = preset_values(args.preset, len(given.get("sizes", chosen["sizes"])) - 1)
        chosen["activations"] = stretched.get("activations", chosen["activations"])
    chosen.update(given)
    net = Network(**chosen, relu_at_zero=args.relu_at_zero)
    return net, _notation_of(args)


def _notation_of(args: argparse.Namespace) -> Notation:
    return notation(args.notation if args.notation not in (None, "all") else args.preset or "matrix")


class Progress:
    """A counter on stderr, ``verifying: 120/291 equations (41%, 2.3 s)``, once work has taken more than ``after``
    seconds: rewritten in place on a terminal, else a line every 10%. ``enabled`` is false unless stderr is a
    terminal or ``--progress`` was given; ``stage`` gives the counter of the next stage of the same command."""

    def __init__(self, stream=None, after: float = 1.0, *, label: str = "verifying", unit: str = "equations",
                 enabled: bool = True):
        self.stream, self.after, self.label, self.unit, self.enabled = stream or sys.stderr, after, label, unit, enabled
        self.start, self.shown, self.finished = time.perf_counter(), -1, False

    @classmethod
    def for_args(cls, args: argparse.Namespace, **options) -> Progress:
        tty = getattr(sys.stderr, "isatty", lambda: False)()
        return cls(enabled=bool(getattr(args, "progress", False) or tty), **options)

    def stage(self, label: str, unit: str) -> Progress:
        later = Progress(self.stream, self.after, label=label, unit=unit, enabled=self.enabled)
        later.start = self.start                       # the command's time, not the stage's
        return later

    @contextlib.contextmanager
    def ticking(self, label: str | Callable[[], str]):
        """For work with no count of its own (deriving E and its partials): the seconds, once a second, from a
        thread that only prints, so that signals still reach the main thread and its clean-up. ``label``: a
        string, or a function giving the label of the moment (the step under way); nothing once the counter
        has shown its last line."""
        if not self.enabled:
            yield
            return
        stop = threading.Event()

        def tick() -> None:
            wait = self.after
            while not stop.wait(wait):
                wait = max(self.after, 1.0)                     # then once a second, however soon it started
                if self.finished:
                    continue
                elapsed, now = time.perf_counter() - self.start, label() if callable(label) else label
                print(f"{now}: {elapsed:.0f} s", end="\r" if self.stream.isatty() else "\n", file=self.stream,
                      flush=True)

        thread = threading.Thread(target=tick, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def __call__(self, done: int, total: int) -> None:
        stop_if_signalled()                            # between two steps of work: a signal that was swallowed
        elapsed = time.perf_counter() - self.start
        percent = 100 * done // max(total, 1)
        self.finished = self.finished or done == total
        if not self.enabled or elapsed < self.after or percent // 10 == self.shown // 10:
            return
        self.shown = percent
        end = "\n" if done == total else ("\r" if self.stream.isatty() else "\n")
        print(f"{self.label}: {done}/{total} {self.unit} ({percent}%, {elapsed:.1f} s)", end=end,
              file=self.stream, flush=True)


def describe(net: Network) -> str:
    lam = f", weight decay λ = {net.weight_decay}" if net.weight_decay != 0 else ""
    acts = ",".join(net.layer_activations) if not isinstance(net.activations, str) else net.activations
    return f"network {'-'.join(map(str, net.sizes))}, {acts}, {net.loss}, batch m = {net.batch}{lam}"


SHOWN_FAILURES = 5


def _failure_lines(report: Report, names: Notation) -> list[str]:
    failed = [r for r in report.parameters + report.steps if r.status == FAILED and r.counterexample]
    lines = []
    for r in failed[:SHOWN_FAILURES]:
        cx = r.counterexample
        assert cx is not None                 # failed keeps only results with one
        point = ", ".join(f"{names.quantity(k)}={v:.4g}" for k, v in list(cx.point.items())[:4])
        lines.append(f"  {names.step(r.name)}: direct {cx.direct:.10g} != closed form {cx.closed:.10g} "
                     f"at {point}, … (full point with --json)")
    if len(failed) > SHOWN_FAILURES:
        lines.append(f"  … and {len(failed) - SHOWN_FAILURES} more failures (all of them with --json)")
    return lines


def report_table(report: Report, names: Notation) -> str:
    rows = [(names.parameter(r.name), r.status, r.method) for r in report.parameters]
    width = max(len("parameter"), *(len(r[0]) for r in rows))
    lines = [f"{'parameter':<{width}}  status    method"]
    lines += [f"{p:<{width}}  {s:<8}  {m}" for p, s, m in rows]
    lines += _failure_lines(report, names)
    counts = report.counts()
    failed_steps = sum(r.status == FAILED for r in report.steps)
    step_methods = sorted({r.method for r in report.steps if r.status != FAILED})
    lines.append(f"{len(report.parameters)} parameters: {counts['proved']} proved, {counts['numeric']} numeric, "
                 f"{counts['failed']} failed; {len(report.steps)} equations in the proof, {failed_steps} failed "
                 f"({'; '.join(step_methods) or 'none proved'}); {report.seconds:.2f} s")
    return "\n".join(lines)


def _seed_check(args: argparse.Namespace, d) -> tuple[list, str]:
    """With --preset: the seed's own equations, or why they do not apply to this network."""
    if not args.preset:
        return [], ""
    label = f"seed {notation(args.preset).seed} ({args.preset})"
    if not seeds.applies(args.preset, d):
        wanted = ", ".join(f"{k} {v}" for k, v in seeds.assumes(args.preset).items())
        return [], f"{label}: its equations are for {wanted}; not checked on this network"
    results = seeds.check(args.preset, d)
    held = sum(r.ok for r in results)
    return results, (f"{label}: {held} of its {len(results)} equations, written in its own symbols, "
                     f"hold against direct differentiation")


def _verify_stack(args: argparse.Namespace, stack: Stack) -> int:
    """A layer stack: every layer's backward rule against the chain rule on E through the graph."""
    report = verify_stack(stack, progress=Progress.for_args(args, unit="layers"))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"symbackprop verify: {stack.describe()}")
        print(report.table())
    return 0 if report.ok else 1


def cmd_verify(args: argparse.Namespace, rules: DeltaRules = BACKPROP) -> int:
    net, names = network_or_stack(args)
    if isinstance(net, Stack):
        return _verify_stack(args, net)
    with Progress.for_args(args).ticking("deriving"):
        d = derive(net, rules=rules)
    report = verify(d, progress=Progress.for_args(args))
    seed, seed_line = _seed_check(args, d)
    if args.json:
        out = report.to_dict()
        out["notation"] = names.name
        for r in out["parameters"]:
            r["display"] = names.parameter(r["name"])
        for r in out["steps"]:
            r["display"] = names.step(r["name"])
        out["seed_equations"] = [dataclasses.asdict(r) for r in seed]
        out["seed_note"] = seed_line
        print(json.dumps(out, indent=2))
    else:
        print(f"symbackprop verify: {describe(net)} (notation {names.name})")
        print(report_table(report, names))
        if seed_line:
            print(seed_line)
    return 0 if report.ok and all(r.ok for r in seed) else 1


MAX_NUMBERS = 10 ** 8      # numbers in one array of an .npz file (800 MB as float64)


def _load_npz(path: str, what: str, keys: list[str] | None = None,
              shapes: dict[str, tuple[int, ...]] | None = None) -> dict[str, np.ndarray]:
    """The arrays of one .npz file (never unpickled), optionally exactly ``keys``.

    Bounded: the members' names, and each member's shape and type from its .npy header, are checked
    before any data is decompressed (an .npz of zeros compresses a thousandfold); an array holds at most
    its shape in ``shapes`` or else MAX_NUMBERS numbers.
    """
    headers = _npz_headers(path, what)
    for name, (_, dtype) in headers.items():
        if dtype.hasobject:
            raise SpecError(f"{what}: {path!r} is not a NumPy .npz archive of arrays ({name} holds Python objects, "
                            "which are never unpickled)")
    if keys is not None and set(headers) != set(keys):
        missing = [k for k in keys if k not in headers]
        extra = sorted(set(headers) - set(keys))
        said = "; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                     f"unexpected {', '.join(extra)}" if extra else "") if p)
        raise SpecError(f"{what} {path!r} must hold exactly {', '.join(keys)}: {said}")
    for name, (shape, _) in headers.items():
        expected = (shapes or {}).get(name)
        if expected is not None and math.prod(shape) > math.prod(expected):
            raise SpecError(f"{what} {path!r}: {name} has shape {shape}; expected {expected}")
        if math.prod(shape) > MAX_NUMBERS:
            raise SpecError(f"{what} {path!r}: {name} has shape {shape}, {math.prod(shape):,} numbers; an array "
                            f"holds at most {MAX_NUMBERS:,}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except Exception as error:
        raise SpecError(f"{what}: {path!r} is not a NumPy .npz archive of arrays ({error})") from None


def _npz_headers(path: str, what: str) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Each member's (shape, dtype), read from its .npy header alone."""
    headers = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read = {(1, 0): np.lib.format.read_array_header_1_0,
                            (2, 0): np.lib.format.read_array_header_2_0}.get(version)
                    if read is None:
                        raise ValueError(f"{info.filename}: .npy format version {version} is not read")
                    shape, _, dtype = read(member)
                headers[info.filename.removesuffix(".npy")] = (tuple(shape), dtype)
    except FileNotFoundError:
        raise SpecError(f"{what}: no such file {path!r}") from None
    except Exception as error:
        raise SpecError(f"{what}: {path!r} is not a NumPy .npz archive of arrays ({error})") from None
    return headers


def _gradcheck_inputs(args: argparse.Namespace, net: Network, names: Notation):
    """Parameters, data and the gradients to compare with: from .npz files in the notation's layout, or random."""
    rng = np.random.default_rng(args.seed)
    shapes = parameter_shapes(net)
    params = (random_params(net, rng) if args.params is None
              else _reader_arrays(_load_npz(args.params, "--params", list(shapes), shapes), net, names, "--params"))
    if args.data is None:
        X, Y = random_data(net, args.samples or args.batch or 8, rng)
    else:
        data = _reader_arrays(_load_npz(args.data, "--data", ["X", "Y"]), net, names, "--data")
        X, Y = data["X"], data["Y"]
    against = None if args.against is None else _reader_arrays(
        _load_npz(args.against, "--against", list(shapes), shapes), net, names, "--against")
    if against is not None:
        against = check_params(net, against, label=f"--against {args.against!r}")
    return params, X, Y, against


def _gradcheck_stack(args: argparse.Namespace, stack: Stack) -> int:
    """A layer stack: the gradient generated from the rules against differences, complex step and autodiff."""
    if args.params is not None or args.data is not None or args.against is not None or args.route != "matrix":
        raise SpecError("a layer stack's gradcheck takes random parameters and data from --seed and --samples or "
                        "--batch (--params, --data, --against and --route are for dense networks)")
    rng = np.random.default_rng(args.seed)
    params = stack_params(stack, rng)
    X, Y = stack_data(stack, args.samples or args.batch or 8, rng)
    given = stack_given(stack, X.shape[1], rng)              # dropout's mask: random, from --seed
    with Progress.for_args(args).ticking("comparing"):
        report = gradcheck_stack(stack, params, X, Y, given)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(f"symbackprop gradcheck: {stack.describe().rsplit(', batch', 1)[0]}, {X.shape[1]} samples, "
              "the layers' rules generated as NumPy")
        print(report.table())
        failed = report.failed
        print(f"{len(report.comparisons)} comparisons: {len(report.comparisons) - len(failed)} passed or refused, "
              f"{len(failed)} failed" + (f" (worst: {failed[0].reference} at {failed[0].at})" if failed else ""))
    return 0 if report.ok else 1


def cmd_gradcheck(args: argparse.Namespace, rules: DeltaRules = BACKPROP) -> int:
    net, names = network_or_stack(args)
    if isinstance(net, Stack):
        return _gradcheck_stack(args, net)
    if isinstance(net.weight_decay, str):
        raise SpecError(f"gradcheck needs a number for --weight-decay; got the symbol {net.weight_decay}")
    params, X, Y, against = _gradcheck_inputs(args, net, names)
    with Progress.for_args(args).ticking("deriving"):
        d = derive(net, rules=rules) if symbolic_fits(net) else net
    report = gradcheck(d, params, X, Y, route=args.route, gradients=against,
                       progress=Progress.for_args(args, label="comparing", unit="references")).named(names.parameter)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        m = np.shape(X)[1]
        print(f"symbackprop gradcheck: {describe(net).rsplit(', batch', 1)[0]}, {m} samples, route {args.route}")
        print(report.table())
        failed = report.failed
        print(f"{len(report.comparisons)} comparisons: {len(report.comparisons) - len(failed)} passed, "
              f"{len(failed)} failed" + (f" (worst: {failed[0].reference} at {failed[0].worst})" if failed else ""))
    return 0 if report.ok else 1


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip() for f in text.split(","))
    try:
        return check_formats(formats)
    except SpecError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _worked_inputs(args: argparse.Namespace, net: Network, names: Notation) -> Inputs:
    """The worked numbers' parameters and data from .npz files (read as gradcheck reads them), else from --seed;
    in a notation with samples as rows, the arrays as row-major code holds them (X is m × n_0, W^l n_{l-1} × n_l)."""
    shapes = parameter_shapes(net)
    params = None if args.params is None else _reader_arrays(
        _load_npz(args.params, "--params", list(shapes), shapes), net, names, "--params")
    data = None if args.data is None else _reader_arrays(_load_npz(args.data, "--data", ["X", "Y"]), net, names,
                                                         "--data")
    return Inputs(params=params, X=None if data is None else data["X"], Y=None if data is None else data["Y"],
                  seed=args.seed, learning_rate=args.learning_rate)


def _reader_arrays(arrays: dict[str, np.ndarray], net: Network, names: Notation, flag: str) -> dict[str, np.ndarray]:
    """Arrays as the notation holds them, in our layout: as they are, or each transposed where samples are rows."""
    if not names.samples_as_rows:
        return arrays
    shapes = {**parameter_shapes(net), "X": (net.sizes[0], -1), "Y": (net.sizes[-1], -1)}
    return {k: _from_rows(k, v, shapes[k], names, flag) for k, v in arrays.items()}


def _from_rows(name: str, array: np.ndarray, shape: tuple[int, ...], names: Notation, flag: str) -> np.ndarray:
    """One array of a samples-as-rows notation in our layout: the transpose (a bias row b^l of 1 × n_l, or n_l
    numbers, as a vector); one line naming the shape the notation holds where it is not that."""
    if len(shape) == 1:
        if array.size != shape[0] or array.ndim > 2 or (array.ndim == 2 and array.shape[0] != 1):
            raise SpecError(f"{flag}: {name} has shape {array.shape}; expected (1, {shape[0]}) or ({shape[0]},) = "
                            f"(1, n_l): in the {names.name} notation a bias is a row")
        return array.reshape(shape)
    rows, cols = shape
    if array.ndim != 2 or array.shape[1] != rows or (cols != -1 and array.shape[0] != cols):
        why = ("a sample is a row" if cols == -1 else
               "a weight matrix has a row per unit of the layer before and a column per unit of its layer")
        expected = f"(m, {rows})" if cols == -1 else f"({cols}, {rows}) = (n_{int(name[1:]) - 1}, n_{name[1:]})"
        raise SpecError(f"{flag}: {name} has shape {array.shape}; expected {expected}: in the {names.name} notation "
                        f"{why}")
    return array.T


def _derive_stack(args: argparse.Namespace, stack: Stack) -> int:
    """A layer stack: each layer's backward rule derived step by step (writeup/stack_document.py)."""
    given = [flag for flag, value in (("--notation", args.notation), ("--param", args.param),
                                      ("--params", args.params), ("--data", args.data)) if value is not None]
    if given:
        raise SpecError(f"a layer stack's write-up names each layer's quantities itself (x, y, dy) and has no worked "
                        f"numbers yet; drop {given[0]}")
    if args.batch is None and args.network is None:       # batch statistics over 3 samples, not a pair's ±1
        stack = dataclasses.replace(stack, batch=STACK_BATCH)
    bar = Progress.for_args(args, label="deriving", unit="steps")

    def report(stage: str, done: int, total: int) -> None:
        bar.label = stage
        bar(done, total)

    with bar.ticking(lambda: bar.label):
        written = write_stack(stack, args.output, formats=args.format, title=args.title, edition=args.edition,
                              progress=report)
    return _written(args, stack.describe(), [], written, "each layer's own notation")


def _written(args: argparse.Namespace, network: str, notations: list[str], written: Any, said: str = "") -> int:
    if args.json:
        print(json.dumps({"network": network, "notations": notations, "files": [str(p) for p in written.files],
                          "ok": written.ok, "problems": written.problems, "log_lines": written.log_lines}, indent=2))
    else:
        print(f"symbackprop derive: {network}; {said or 'notation ' + ', '.join(notations)}")
        for path in written.files:
            print(f"  wrote {path}")
    for problem in written.problems:
        print(f"symbackprop: error: {printable(problem)}", file=sys.stderr)
    for line in written.log_lines:                 # after the error line, as the README says
        print(f"  | {printable(line)}", file=sys.stderr)
    if written.problems:
        return 2
    return 0 if written.ok else 1


def cmd_derive(args: argparse.Namespace, rules: DeltaRules = BACKPROP) -> int:
    built, _ = network_or_stack(args)
    if isinstance(built, Stack):
        return _derive_stack(args, built)
    net, names = network_from(args)
    square = net.batch > 1 and net.batch in net.sizes      # a preset's m that makes some A^l square (ng's 2 at 2-3-1)
    if args.batch is None and (args.preset is None or square):    # a batch that keeps every shape distinct
        net = dataclasses.replace(net, batch=write_up_batch(net.sizes))
    numbers = _worked_inputs(args, net, names)
    with Progress.for_args(args).ticking("deriving"):
        d = derive(net, rules=rules)
    chosen = list(NOTATIONS) if args.notation == "all" else [names.name]
    parameter = None                    # the worked parameter, as the first document's notation reads it
    if args.param is not None:
        ours = canonical_parameter(args.param, names)
        d.symbol(ours)                                  # an unknown name: one line, before any work
        parameter = notation(chosen[0]).parameter(ours)
    bar = Progress.for_args(args)
    writing = bar.stage("verifying", "steps")           # relabelled by each step: "writing up (matrix: the PDF)"

    def report(stage: str, done: int, total: int) -> None:
        if stage == "verify":
            bar(done, total)
        else:
            writing.label = stage
            writing(done, total)

    with writing.ticking(lambda: writing.label):        # a step may take seconds: say which, once a second
        written = write(d, args.output, notations=chosen, formats=args.format, parameter=parameter,
                        title=args.title, edition=args.edition, progress=report, numbers=numbers)
    return _written(args, describe(net), chosen, written)


def cmd_explain(args: argparse.Namespace, rules: DeltaRules = BACKPROP) -> int:
    built, _ = network_or_stack(args)
    if isinstance(built, Stack):               # a layer stack: the chain through its graph (text only yet)
        if args.format != "text" or args.json:
            raise SpecError("explain for a layer stack writes text only yet; drop --format/--json")
        print(explain_stack(built, args.parameter))
        return 0
    net, names = network_from(args)
    with Progress.for_args(args).ticking("deriving"):
        d = derive(net, rules=rules)
    x = explain(d, args.parameter, notation=names.name)
    if args.json:
        context = x.context()
        print(json.dumps({**context, "parameter": args.parameter, "parameter_latex": context["parameter"],
                          "text": x.text().splitlines()}, indent=2))
    else:
        print({"text": x.text, "latex": x.latex, "markdown": x.markdown}[args.format]())
    return 0


MAX_CLAIMS_BYTES = 1_000_000        # a claims file: 500 claims of the longest kind


def _claims(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(where, claim): each argument one claim as it stands, then the file's claims (--file - reads stdin)."""
    claims = [(f"claim {k}", text) for k, text in enumerate(args.claims, start=1)]
    if args.file:
        claims += [(f"line {line}", claim) for line, claim in split_claims(read_claims_file(args.file))]
    if not claims:
        raise SpecError('no claims: give one, as in symbackprop check "delta2 = (A2 - Y) * g2\'(Z2) / m", or --file')
    return claims


def read_claims_file(name: str) -> str:
    """At most MAX_CLAIMS_BYTES of UTF-8 (a byte-order mark is allowed), from a file or, for ``-``, stdin."""
    where = "stdin" if name == "-" else name
    try:
        if name == "-":
            if sys.stdin is None or sys.stdin.closed:
                raise SpecError("cannot read claims from stdin: it is closed (give them with --file FILE)")
            stream = getattr(sys.stdin, "buffer", sys.stdin)
            data = stream.read(MAX_CLAIMS_BYTES + 1)
        else:
            with open(name, "rb") as stream:
                data = stream.read(MAX_CLAIMS_BYTES + 1)
        if len(data) > MAX_CLAIMS_BYTES:
            raise SpecError(f"cannot read claims from {where}: more than {MAX_CLAIMS_BYTES:,} bytes (a claims file "
                            f"holds at most {MAX_CLAIMS_BYTES:,})")
        return data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or error
        raise SpecError(f"cannot read claims from {where}: {reason}") from None


def _check_stack(args: argparse.Namespace, stack: Stack) -> int:
    """Claims about a layer stack's layers, each proved or refuted against the chain rule (claims/stack.py)."""
    claims = _claims(args)
    with Progress.for_args(args).ticking("checking (proving, or finding what is wrong)"):
        verdicts = check_stack_claims(stack, claims)
    ok = all(v.ok for _, v in verdicts)
    if args.json:
        print(json.dumps({"ok": ok, "network": stack.describe(),
                          "claims": [{"where": where, **v.to_dict()} for where, v in verdicts]}, indent=2))
        return 0 if ok else 1
    print(stack.describe())
    return _verdicts(verdicts)


def _verdicts(verdicts: list) -> int:
    """Each verdict's text, then the count; exit 0 when every claim holds, 1 when any is wrong."""
    for _, v in verdicts:
        print()
        print(v.text())
    wrong = sum(not v.ok for _, v in verdicts)
    proved = sum(v.status == "proved" for _, v in verdicts)
    print(f"\n{len(verdicts)} claim{'s' if len(verdicts) != 1 else ''}: {len(verdicts) - wrong} hold "
          f"({proved} proved), {wrong} wrong")
    return 0 if wrong == 0 else 1


def cmd_check(args: argparse.Namespace, rules: DeltaRules = BACKPROP) -> int:
    if args.preset is None:                    # a notation's own network unless told otherwise: its seed's
        args.preset = args.notation or "matrix"
    built, names = network_or_stack(args)
    if isinstance(built, Stack):
        return _check_stack(args, built)
    net, names = network_from(args)
    with Progress.for_args(args).ticking("deriving"):
        d = derive(net, rules=rules)
    claims = _claims(args)
    with Progress.for_args(args).ticking("checking (proving, or finding what is wrong)"):
        verdicts = check_claims(d, claims, names.name, progress=Progress.for_args(args, label="checking",
                                                                                unit="claims"))
    ok = all(v.ok for _, v in verdicts)
    if args.json:
        print(json.dumps({"ok": ok, "network": describe(net), "notation": names.name,
                          "claims": [{"where": where, **v.to_dict()} for where, v in verdicts]}, indent=2))
        return 0 if ok else 1
    print(f"{describe(net)}; notation {names.name}")
    print(error_equation(d, names))
    return _verdicts(verdicts)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symbackprop", description="Derive, prove and teach back-propagation.")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, required=True)
    verify_parser = commands.add_parser(
        "verify", help="prove every partial of E equal to its closed-form δ expression")
    _network_options(verify_parser)
    verify_parser.set_defaults(run=cmd_verify)
    check = commands.add_parser("gradcheck", help="compare the symbolic gradient with finite differences, "
                                                  "complex step, a hand-written back-prop and autodiff")
    _network_options(check)
    check.add_argument("--params", metavar="FILE.npz", help="W1, b1, …: W^l (n_l, n_{l-1}), b^l (n_l,)")
    check.add_argument("--data", metavar="FILE.npz", help="X (n_0, m) and Y (n_L, m): samples are columns")
    check.add_argument("--against", metavar="FILE.npz", help="your own gradients, keyed W1, b1, … like --params")
    check.add_argument("--seed", type=_natural, default=0, help="seed for random params and data (default 0)")
    check.add_argument("--samples", type=_positive, help="random samples without --data (default: --batch, else 8)")
    check.add_argument("--route", choices=ROUTES, default="matrix", help="the symbolic route checked (default matrix)")
    check.set_defaults(run=cmd_gradcheck)
    write_up = commands.add_parser("derive", help="write the derivation up: LaTeX, PDF and Markdown, in the reader's "
                                                  "notation, every equation checked")
    _network_options(write_up, every_notation=True)
    write_up.add_argument("-o", "--output", default="derivation", help="the folder to write into (default derivation)")
    write_up.add_argument("--format", type=_formats, default=tuple(FORMATS),
                          help=f"comma-separated, from {', '.join(FORMATS)} (default all three)")
    write_up.add_argument("--param", help="the worked partial, such as W1[2,1] or θ(1)[2,1] (default W1[1,1])")
    write_up.add_argument("--title", help="the document's title (plain text)")
    write_up.add_argument("--edition", choices=EDITIONS, default="student",
                          help="student: the derivation explained, the machine's checks in one sentence and an "
                               "appendix; teacher: every check and table in the text (default student)")
    write_up.add_argument("--params", metavar="FILE.npz", help="the worked numbers' parameters W1, b1, … as for "
                          "gradcheck (default: random from --seed)")
    write_up.add_argument("--data", metavar="FILE.npz", help="the worked numbers' X (n_0, m) and Y (n_L, m), m the "
                          "--batch (default: random from --seed)")
    write_up.add_argument("--seed", type=_natural, default=DEFAULT_SEED,
                          help=f"seed for random parameters and data (default {DEFAULT_SEED})")
    write_up.add_argument("--learning-rate", type=_learning_rate, default=DEFAULT_LEARNING_RATE,
                          help=f"η of the worked gradient-descent step (default {DEFAULT_LEARNING_RATE})")
    write_up.set_defaults(run=cmd_derive)
    steps = commands.add_parser("explain", help="the chain-rule steps for one partial, and every path to E")
    steps.add_argument("parameter", help="a parameter name such as W1[2,1], b2[1], θ(1)[2,0] or W(1)[2,1]")
    _network_options(steps)
    steps.add_argument("--format", choices=["text", "latex", "markdown"], default="text",
                       help="text (Unicode, the default), latex or markdown")
    steps.set_defaults(run=cmd_explain)
    claims = commands.add_parser(
        "check", help="check your own δ equations and partials: proved, holding numerically, or wrong and why",
        description="Check claims written in the chosen notation on a network (by default the notation's seed "
                    "network: matrix is generic g^l with mse, m = 2; theta sigmoid with bce, m = 2; ufldl sigmoid "
                    "with mse, m = 1). Examples: \"dE/dW2 = delta2 * A1.T\", \"delta1 = (W2.T @ delta2) * "
                    "g1'(Z1)\", \"\\delta^l = (W^{l+1})^T \\delta^{l+1} \\odot {g^l}'(Z^l)\". Plain text and LaTeX "
                    "are both read; see the README for the syntax.")
    claims.add_argument("claims", nargs="*", help="one claim per argument, lhs = rhs")
    claims.add_argument("--file", metavar="FILE", help="a file of claims, one per line or a LaTeX align block; "
                        "--file - reads them from stdin")
    _network_options(claims, seeded=True)
    claims.set_defaults(run=cmd_check)
    return parser


USAGE, INTERNAL = 2, 3      # exit statuses besides 0 (all good) and 1 (a check failed); signals: 128 + signum


def main(argv: Sequence[str] | None = None, *, rules: DeltaRules = BACKPROP) -> int:
    """Run the command line; ``rules`` lets a test plant a wrong δ equation and see exit 1.

    The one guard of every command: whatever escapes is one line on stderr and an exit status that says
    what kind of stop it was (see the module docstring); ``--debug`` adds the traceback.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if sys.stderr is None:                 # 2>&-: nowhere to say anything; the status still tells
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - open until the interpreter exits
    if sys.stdout is None:                 # >&-: the results have nowhere to go
        return _stop("error: cannot write the output: standard output is closed", USAGE, debug)
    try:
        status = _run(argv, rules)
        stop_if_signalled()                # a signal swallowed on the way (inside a library's callback)
        sys.stdout.flush()                 # a full disk or a closed pipe shows here, inside the guard
        return status
    except KeyboardInterrupt as error:     # SIGINT; SIGTERM and SIGHUP too (signals.install)
        return interrupted(error)
    except BrokenPipeError:            # e.g. `symbackprop verify | head -1`: the reader left
        _discard_stdout()
        return 0
    except SpecError as error:
        return _stop(f"error: {error}", USAGE, debug)
    except MemoryError:
        return _stop("error: out of memory: the network or the number of samples is too large for this machine",
                     USAGE, debug)
    except OSError as error:           # a file (or stdout) that could not be written or read
        if error.filename is None:
            _discard_stdout()
        what = f"{error.filename}" if error.filename is not None else "cannot write the output"
        return _stop(f"error: {what}: {error.strerror or error}", USAGE, debug)
    except Exception as error:         # noqa: BLE001 - the guard: one line and exit 3, never a traceback
        return _stop(f"internal error: {type(error).__name__}: {error} (a bug: please report it with the command; "
                     "--debug shows the traceback)", INTERNAL, debug)


def _run(argv: list[str], rules: DeltaRules) -> int:
    parser = build_parser()
    if not argv:
        raise SpecError("choose a command: derive, explain, check, verify or gradcheck (symbackprop <command> "
                        "--help)")
    args = parser.parse_args(argv)
    return args.run(args, rules)


def _stop(message: str, status: int, debug: bool) -> int:
    """One line on stderr, and the status; if stderr cannot be written either (2>/dev/full), the status alone."""
    try:
        if debug:
            traceback.print_exc(file=sys.stderr)
        print(f"symbackprop: {printable(message)}", file=sys.stderr, flush=True)
    except OSError:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - no second error when the interpreter exits
    return status


def printable(text: str) -> str:
    r"""One line, with control characters (a terminal's escape sequences) shown escaped, never sent raw.

    >>> printable("near \x1b[2Jx\ny")
    'near \\x1b[2Jx y'
    """
    text = " ".join(str(text).splitlines())
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _discard_stdout() -> None:
    """After stdout failed: what is still buffered can never be written, so drop it (no second error at exit)."""
    try:
        sys.stdout.flush()
    except OSError:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - open until the interpreter exits


if __name__ == "__main__":
    sys.exit(main())
