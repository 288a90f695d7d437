"""How fast the generated NumPy gradients run, against the other ways of getting them (not a test: numbers).

Timed per call, median of several repeats (timeit, garbage collector off while timing), after warm-up:

    direct, delta, matrix   the raw compiled functions ``f.compiled(route)``: no argument checking
    matrix checked          ``f.gradient(params, X, Y, route="matrix")``: the same plus checking and reshaping
    hand-written            ``symbackprop.numeric.handwritten.gradient``: the textbook NumPy back-prop (the baseline)
    jax.jit(grad)           ``jax.jit(jax.grad(E))`` of the loss in ``symbackprop.numeric.autodiff``, float64, X and Y
                            passed as arguments (not baked in as constants), ``block_until_ready``
    torch eager             forward + ``torch.autograd.grad``, float64 CPU, tensors built once; the loss written
                            the way a PyTorch user writes it (``torch.sigmoid``, ``torch.log_softmax``), which
                            is fewer kernels than autodiff.py's portable ``exp(-softplus(-z))``
    central FD              ``gradcheck.central_differences`` of the compiled loss: 2 loss calls per parameter

Threads, for fairness: every library runs single-threaded. Before NumPy, JAX or PyTorch is imported
this script sets OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = MKL_NUM_THREADS = VECLIB_MAXIMUM_THREADS =
NUMEXPR_NUM_THREADS = 1, adds ``--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1``
to XLA_FLAGS, and calls ``torch.set_num_threads(1)`` and ``torch.set_num_interop_threads(1)``. One
thread measures the code each library runs rather than how well it splits work across cores (the
CI machine has two), and keeps the small-batch numbers free of thread hand-off noise.

Build times run in a fresh interpreter each (imports not counted), so SymPy's cache from one build
does not speed up the next: ``lambdify(net)`` + ``f.build()`` (forward, loss and all three routes)
for the small networks, ``lambdify(net)`` + ``f.compiled("matrix")`` for the large ones.

    python benchmarks/bench_numeric.py            # the full run (about a minute)
    python benchmarks/bench_numeric.py --quick    # fewer, shorter repeats; one build per network
"""
from __future__ import annotations

import os
import sys

THREADS = 1
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
             "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = str(THREADS)
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false "
                           f"intra_op_parallelism_threads={THREADS}").strip()

import json  # noqa: E402  (the thread settings above must come before NumPy is loaded)
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numpy as np  # noqa: E402

QUICK = "--quick" in sys.argv
REPEAT = 3 if QUICK else 7              # timed repeats per cell; the median is reported
MIN_TIME = 0.005 if QUICK else 0.03      # seconds per repeat: calls are looped until one repeat lasts this long
BUILD_RUNS = 1 if QUICK else 3           # fresh interpreters per build time; the median is reported

SMALL = [((2, 3, 1), "sigmoid", "mse"),
         ((4, 8, 8, 3), ("sigmoid", "sigmoid", "softmax"), "cce")]
LARGE = [((64, 128, 128, 10), ("sigmoid", "sigmoid", "softmax"), "cce"),
         ((784, 256, 10), ("sigmoid", "softmax"), "cce")]
BATCHES = (1, 32, 1024)
LARGE_BATCH = 1024
SMALL_COLUMNS = ("direct", "delta", "matrix", "matrix checked", "hand-written", "jax.jit(grad)", "torch eager",
                 "central FD")
LARGE_COLUMNS = ("matrix", "matrix checked", "hand-written", "jax.jit(grad)", "torch eager")
# Targets
MATRIX_VS_HANDWRITTEN = 1.2              # matrix route / hand-written at m = 1024, every network
BUILD_LIMIT = 2.0                         # seconds: lambdify of 4-8-8-3, all routes


def name(sizes) -> str:
    return "-".join(map(str, sizes))


def per_call(fn) -> float:
    """Median seconds per call: warm up, find a loop count filling MIN_TIME, then REPEAT timed repeats."""
    for _ in range(3):
        fn()
    timer = timeit.Timer(fn)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= MIN_TIME:
            break
        number = max(number * 2, int(number * MIN_TIME / max(elapsed, 1e-9) * 1.1))
    return statistics.median(timer.timeit(number) / number for _ in range(REPEAT))


# ---- the candidates: each returns a zero-argument callable and a function turning its output into arrays

def network(sizes, activations, loss):
    from symbackprop import Network
    return Network(sizes=sizes, activations=activations, loss=loss)


def jax_gradient(net, params, X, Y):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    from symbackprop.numeric import autodiff

    ops = autodiff.Ops(jnp.exp, jnp.log, jnp.tanh, lambda z: jnp.maximum(z, 0.0), lambda z: jnp.logaddexp(0.0, z),
                       lambda z: logsumexp(z, axis=0), jnp.sum)
    lam = float(net.weight_decay)
    grad = jax.jit(jax.grad(lambda p, x, y: autodiff.loss(ops, net, p, x, y, lam)))
    p = {k: jax.device_put(v) for k, v in params.items()}
    x, y = jax.device_put(X), jax.device_put(Y)
    assert x.dtype == np.float64
    return (lambda: jax.block_until_ready(grad(p, x, y))), (lambda out: {k: np.asarray(v) for k, v in out.items()})


def torch_gradient(net, params, X, Y):
    import torch
    if torch.get_num_threads() != THREADS:
        torch.set_num_threads(THREADS)
    tensors = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    leaves = list(tensors.values())
    x, y = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
    L, m, lam = net.depth, X.shape[1], float(net.weight_decay)
    hidden = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z}

    def E():
        A = x
        for l in range(1, L):
            A = hidden[net.activation(l)](tensors[f"W{l}"] @ A + tensors[f"b{l}"][:, None])
        Z = tensors[f"W{L}"] @ A + tensors[f"b{L}"][:, None]
        if net.loss == "mse" and net.activation(L) == "sigmoid":
            total = 0.5 * ((torch.sigmoid(Z) - y) ** 2).sum()
        elif net.loss == "cce" and net.activation(L) == "softmax":
            total = -(y * torch.log_softmax(Z, dim=0)).sum()
        else:
            raise ValueError(f"no torch loss here for {net.loss} after {net.activation(L)}")
        total = total / m
        if lam:
            total = total + 0.5 * lam * sum((tensors[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
        return total

    return (lambda: torch.autograd.grad(E(), leaves)), \
        (lambda out: {k: g.numpy() for k, g in zip(tensors, out, strict=True)})


def candidates(f, params, X, Y, columns) -> dict:
    """column -> (call, to_arrays)."""
    from symbackprop.numeric import handwritten
    from symbackprop.numeric.arrays import parameter_shapes
    from symbackprop.numeric.gradcheck import central_differences

    net, args = f.net, (*params.values(), X, Y)
    shapes = parameter_shapes(net)

    def matrix_arrays(out):
        return {k: np.reshape(v, s) for (k, s), v in zip(shapes.items(), out, strict=True)}

    loss = f.compiled("loss")
    out = {}
    for column in columns:
        if column in ("direct", "delta"):
            g = f.compiled(column)
            out[column] = (lambda g=g: g(*args)), f.unflatten
        elif column == "matrix":
            g = f.compiled("matrix")
            out[column] = (lambda g=g: g(*args)), matrix_arrays
        elif column == "matrix checked":
            out[column] = (lambda: f.gradient(params, X, Y, route="matrix")), dict
        elif column == "hand-written":
            out[column] = (lambda: handwritten.gradient(net, params, X, Y)), dict
        elif column == "jax.jit(grad)":
            out[column] = jax_gradient(net, params, X, Y)
        elif column == "torch eager":
            out[column] = torch_gradient(net, params, X, Y)
        elif column == "central FD":
            out[column] = (lambda: central_differences(lambda p: loss(*p.values(), X, Y), params, None)), dict
        else:
            raise ValueError(column)
    return out


def agree(column: str, got: dict, reference: dict) -> None:
    """Every candidate must compute the same gradient before its time means anything."""
    atol, rtol = (1e-6, 1e-4) if column == "central FD" else (1e-12, 1e-8)
    for k, r in reference.items():
        if not np.allclose(np.reshape(got[k], r.shape), r, atol=atol, rtol=rtol):
            raise AssertionError(f"{column}: {k} differs from the hand-written gradient by "
                                 f"{np.max(np.abs(np.reshape(got[k], r.shape) - r)):.2e}")


def measure(case, batches, columns, rng) -> list[dict]:
    from symbackprop import lambdify
    from symbackprop.numeric import handwritten
    from symbackprop.numeric.arrays import random_data, random_params

    net = network(*case)
    f = lambdify(net)
    for column in ("loss", *(c for c in ("direct", "delta", "matrix") if c in columns)):
        f.compiled(column)
    params = random_params(net, rng)
    rows = []
    for m in batches:
        X, Y = random_data(net, m, rng)
        reference = handwritten.gradient(net, params, X, Y)
        row = {"network": name(net.sizes), "m": m, "parameters": net.parameter_count, "seconds": {}}
        for column, (call, arrays) in candidates(f, params, X, Y, columns).items():
            agree(column, arrays(call()), reference)
            row["seconds"][column] = per_call(call)
            print(f"  {row['network']} m={m} {column}: {row['seconds'][column] * 1e6:.1f} µs", file=sys.stderr,
                  flush=True)
        rows.append(row)
    return rows


# ---- build times, each in a fresh interpreter

def build_one(case, routes) -> dict:
    import symbackprop  # noqa: F401  (imported before the clock starts)
    from symbackprop import lambdify

    net = network(*case)
    start = time.perf_counter()
    f = lambdify(net)
    out = {"construct": time.perf_counter() - start}
    for route in routes:
        t = time.perf_counter()
        f.compiled(route)
        out[route] = time.perf_counter() - t
    out["total"] = time.perf_counter() - start
    return out


def build_times(case, routes) -> dict:
    runs = []
    for _ in range(BUILD_RUNS):
        done = subprocess.run([sys.executable, __file__, "--build", json.dumps([case, routes])],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout))
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


# ---- printing

def us(seconds: float) -> str:
    v = seconds * 1e6
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def rate(seconds: float) -> str:
    v = 1 / seconds
    return f"{v:,.0f}" if v >= 10 else f"{v:.2f}"


def timing_table(rows, columns) -> str:
    head = "| network | m | " + " | ".join(columns) + " |"
    lines = [head, "|---|---|" + "---|" * len(columns)]
    for r in rows:
        base = r["seconds"]["hand-written"]
        cells = [f"{us(r['seconds'][c])} µs ({r['seconds'][c] / base:.2f}×)" for c in columns]
        lines.append(f"| {r['network']} | {r['m']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rate_table(rows, columns) -> str:
    lines = ["| network | m | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for r in rows:
        lines.append(f"| {r['network']} | {r['m']} | " + " | ".join(rate(r["seconds"][c]) for c in columns) + " |")
    return "\n".join(lines)


def build_table(builds) -> str:
    lines = ["| network | parameters | built | construct | forward | loss | direct | delta | matrix | total (s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for (case, routes), b in builds:
        net = network(*case)
        cells = [f"{b[k]:.3f}" if k in b else "—" for k in ("construct", "forward", "loss", "direct", "delta",
                                                              "matrix")]
        built = "f.build() (all)" if len(routes) > 1 else "matrix only"
        lines.append(f"| {name(case[0])} | {net.parameter_count} | {built} | " + " | ".join(cells)
                     + f" | **{b['total']:.2f}** |")
    return "\n".join(lines)


def targets(small_rows, large_rows, builds) -> list[tuple[bool, str]]:
    out = []
    for r in [r for r in small_rows + large_rows if r["m"] == 1024]:
        ratio = r["seconds"]["matrix"] / r["seconds"]["hand-written"]
        out.append((ratio <= MATRIX_VS_HANDWRITTEN, f"matrix within {MATRIX_VS_HANDWRITTEN}× of hand-written, "
                                                    f"{r['network']} m=1024: {ratio:.2f}×"))
    for r in [r for r in small_rows if r["m"] in (1, 32)]:
        mat, tor = r["seconds"]["matrix"], r["seconds"]["torch eager"]
        verdict = f"{tor / mat:.1f}× faster" if mat < tor else f"{mat / tor:.1f}× slower"
        out.append((mat < tor, f"matrix faster than torch eager, {r['network']} m={r['m']}: "
                               f"{us(mat)} µs vs {us(tor)} µs ({verdict})"))
    for r in small_rows:
        fd = r["seconds"]["central FD"]
        for route in ("direct", "delta"):
            t = r["seconds"][route]
            out.append((t < fd, f"{route} faster than central FD, {r['network']} m={r['m']}: "
                                f"{us(t)} µs vs {us(fd)} µs ({fd / t:.0f}×)"))
    for (case, _routes), b in builds:
        if case[0] == (4, 8, 8, 3):
            out.append((b["total"] < BUILD_LIMIT, f"lambdify of 4-8-8-3 (all routes) under {BUILD_LIMIT:g} s: "
                                                  f"{b['total']:.2f} s (direct route alone {b['direct']:.2f} s)"))
    return out


def environment() -> str:
    import jax
    import sympy
    import torch
    return (f"Python {platform.python_version()}, NumPy {np.__version__}, SymPy {sympy.__version__}, "
            f"JAX {jax.__version__}, PyTorch {torch.__version__}; {os.cpu_count()} CPUs "
            f"({platform.processor() or platform.machine()}); {THREADS} thread per library; "
            f"median of {REPEAT} repeats of ≥ {MIN_TIME * 1e3:g} ms each" + (" (--quick)" if QUICK else ""))


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        case, routes = json.loads(sys.argv[2])
        case = (tuple(case[0]), case[1] if isinstance(case[1], str) else tuple(case[1]), case[2])
        print(json.dumps(build_one(case, routes)))
        return
    import torch
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(THREADS)
    started = time.perf_counter()
    rng = np.random.default_rng(0)

    print("builds …", file=sys.stderr, flush=True)
    keys = [(c, ["forward", "loss", "direct", "delta", "matrix"]) for c in SMALL] + [(c, ["matrix"]) for c in LARGE]
    builds = [(key, build_times(*key)) for key in keys]
    print("small networks …", file=sys.stderr, flush=True)
    small = [r for case in SMALL for r in measure(case, BATCHES, SMALL_COLUMNS, rng)]
    print("large networks …", file=sys.stderr, flush=True)
    large = [r for case in LARGE for r in measure(case, (LARGE_BATCH,), LARGE_COLUMNS, rng)]

    print(environment())
    print()
    for title, rows, columns in (
            ("### 1. Gradient time per call, small networks (median µs; in brackets × the hand-written back-prop)",
             small, SMALL_COLUMNS),
            (f"### 2. Large networks, m = {LARGE_BATCH} (matrix route only; median µs, × hand-written)",
             large, LARGE_COLUMNS)):
        print(f"{title}\n\n{timing_table(rows, columns)}\n\nGradient evaluations per second:\n\n"
              f"{rate_table(rows, columns)}\n")
    print(f"### 3. lambdify build time, seconds (fresh interpreter, median of {BUILD_RUNS})")
    print()
    print(build_table(builds))
    print()
    print("### Targets")
    print()
    results = targets(small, large, builds)
    for ok, text in results:
        print(f"- {'PASS' if ok else 'FAIL'}: {text}")
    print()
    print(f"{sum(ok for ok, _ in results)}/{len(results)} targets met; whole run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
