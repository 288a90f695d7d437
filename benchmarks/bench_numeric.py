"""How fast the generated NumPy gradients run, against the other ways of getting them (not a test: numbers).

Timed per call, median of several repeats (timeit, garbage collector off while timing), after warm-up:

    direct, delta, matrix   the raw compiled functions ``f.compiled(route)``: no argument checking
    matrix checked          ``f.gradient(params, X, Y, route="matrix")``: the same plus checking and reshaping
    plain NumPy             ``plain_backprop`` below: the ~20-line back-prop a course's notebook writes, σ as
                            ``1/(1 + np.exp(-z))``, softmax shifted by its column max, nothing else guarded
                            (it overflows at z < -709). The baseline every ratio is taken against
    hand-written            ``symbackprop.numeric.handwritten.gradient``: the project's stable textbook back-prop
                            (σ by ``np.logaddexp``, about 30 ns per entry), kept as a second reference
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

Interleaved repeats: each repeat times every column once, in turn, so load from other processes on a
shared machine falls on all columns alike; a cell is the median of its repeats, and a ratio is the
median of the per-repeat ratios (measured in one process, one repeat apart).

GFLOP/s: the floating-point operations of the network's matrix products, forward (W^l A^{l-1}) and
backward (δ^l A^{l-1}ᵀ for every layer, W^lᵀ δ^l for l ≥ 2), 2·rows·inner·columns each, per second of
the whole gradient; the elementwise work is not counted. Against it, this machine's single-thread
float64 matmul rate, measured here on a 512 × 512 product and on the network's own products alone
(the same shapes, in the same order: the time the gradient would take if it did nothing else).

The large networks (m = 1024) run in fresh processes, three per heap behaviour, alternating: once with
every array above 128 kB mapped fresh from the OS (what allocating costs: page faults) and once with the
heap kept (the arithmetic alone); see HEAPS below. A cell is the median over the processes.

Build times run in a fresh interpreter each (imports not counted), so SymPy's cache from one build
does not speed up the next: ``lambdify(net)`` + ``f.build()`` (forward, loss and all three routes)
for the small networks, ``lambdify(net)`` + ``f.compiled("matrix")`` for the large ones.

    python benchmarks/bench_numeric.py            # the full run (about a minute)
    python benchmarks/bench_numeric.py --quick    # fewer, shorter repeats; one build per network
    python benchmarks/bench_numeric.py --cpu 1    # pinned to one CPU (os.sched_setaffinity), like taskset -c 1
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
CPU = int(sys.argv[sys.argv.index("--cpu") + 1]) if "--cpu" in sys.argv else None
REPEAT = 3 if QUICK else 7              # timed repeats per cell; the median is reported
MIN_TIME = 0.005 if QUICK else 0.03      # seconds per repeat: calls are looped until one repeat lasts this long
BUILD_RUNS = 1 if QUICK else 3           # fresh interpreters per build time; the median is reported

SMALL = [((2, 3, 1), "sigmoid", "mse"),
         ((4, 8, 8, 3), ("sigmoid", "sigmoid", "softmax"), "cce")]
LARGE = [((64, 128, 128, 10), ("sigmoid", "sigmoid", "softmax"), "cce"),
         ((784, 256, 10), ("sigmoid", "softmax"), "cce")]
BATCHES = (1, 32, 1024)
LARGE_BATCH = 1024
BASELINE = "plain NumPy"
SMALL_COLUMNS = ("direct", "delta", "matrix", "matrix checked", BASELINE, "hand-written", "jax.jit(grad)",
                 "torch eager", "central FD")
LARGE_COLUMNS = ("matrix", "matrix checked", BASELINE, "hand-written", "jax.jit(grad)", "torch eager")
RATE_COLUMNS = ("matrix", BASELINE, "hand-written", "jax.jit(grad)", "torch eager")
# The large networks run in fresh processes under two fixed heap behaviours, since glibc's own adapts to
# the process's history (a freed array raises its threshold), so one run's ratio depended on which columns
# had run before. "arrays mapped fresh": mmap_threshold held at glibc's initial 128 kB, so every array above
# it is mapped from the OS when created and page-faulted in (about 2 µs a 4 kB page on the CI VM): what
# allocation costs. "heap kept": freed memory is kept and reused, no page faults: the arithmetic alone.
FRESH, WARM = "arrays mapped fresh", "heap kept"
HEAPS = {FRESH: {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072"},
         WARM: {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"}}
HEAP_RUNS = 1 if QUICK else 3            # fresh processes per heap, alternating; cells are medians over them
# Targets
MATRIX_VS_PLAIN = 1.0                     # matrix route / plain NumPy back-prop at m = 1024, the large networks
BUILD_LIMIT = 2.0                         # seconds: lambdify of 4-8-8-3, all routes


def name(sizes) -> str:
    return "-".join(map(str, sizes))


def loop_count(fn) -> int:
    """Warm up, then the number of calls that fills MIN_TIME."""
    for _ in range(3):
        fn()
    timer = timeit.Timer(fn)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= MIN_TIME:
            return number
        number = max(number * 2, int(number * MIN_TIME / max(elapsed, 1e-9) * 1.1))


def interleaved(calls: dict) -> dict[str, list[float]]:
    """Seconds per call of each callable, REPEAT times: each repeat times every one once, in turn."""
    timers = {k: (timeit.Timer(fn), loop_count(fn)) for k, fn in calls.items()}
    out: dict[str, list[float]] = {k: [] for k in calls}
    for _ in range(REPEAT):
        for k, (timer, number) in timers.items():
            out[k].append(timer.timeit(number) / number)
    return out


def product_flops(net, m: int) -> int:
    """FLOPs of the gradient's matrix products: W^l A^{l-1} and δ^l A^{l-1}ᵀ per layer, W^lᵀ δ^l for l ≥ 2."""
    n = net.sizes
    return sum(2 * n[l] * n[l - 1] * m * (3 if l > 1 else 2) for l in range(1, len(n)))


def products_only(net, m: int, rng):
    """The gradient's matrix products alone, same shapes and order, on random operands."""
    n, L = net.sizes, net.depth
    W = {l: rng.normal(size=(n[l], n[l - 1])) for l in range(1, L + 1)}
    A = {l: rng.normal(size=(n[l], m)) for l in range(0, L + 1)}

    def run():
        for l in range(1, L + 1):
            W[l] @ A[l - 1]
        for l in range(L, 0, -1):
            A[l] @ A[l - 1].T
            if l > 1:
                W[l].T @ A[l]
    return run


def matmul_rate(rng, size: int = 512) -> float:
    """Single-thread float64 GFLOP/s of one size × size product (median of the interleaved repeats)."""
    P, Q = rng.normal(size=(size, size)), rng.normal(size=(size, size))
    seconds = statistics.median(interleaved({"matmul": lambda: P @ Q})["matmul"])
    return 2 * size ** 3 / seconds / 1e9


# ---- the candidates: each returns a zero-argument callable and a function turning its output into arrays

def network(sizes, activations, loss):
    from symbackprop import Network
    return Network(sizes=sizes, activations=activations, loss=loss)


def plain_backprop(params: dict, X, Y, L: int, loss: str) -> dict:
    """Back-prop as a course's notebook writes it: sigmoid hidden layers, softmax + cce (one-hot Y) or
    sigmoid + mse output; σ = 1/(1 + e^{-z}) overflows for z < -709, which is what makes it fast."""
    m = X.shape[1]
    A = [X]
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A[-1] + params[f"b{l}"][:, None]
        if l < L or loss == "mse":
            A.append(1 / (1 + np.exp(-Z)))
        else:
            E = np.exp(Z - Z.max(axis=0))
            A.append(E / E.sum(axis=0))
    delta = (A[L] - Y) / m if loss == "cce" else (A[L] - Y) * A[L] * (1 - A[L]) / m
    grads = {}
    for l in range(L, 0, -1):
        grads[f"W{l}"] = delta @ A[l - 1].T
        grads[f"b{l}"] = delta.sum(axis=1)
        if l > 1:
            delta = (params[f"W{l}"].T @ delta) * A[l - 1] * (1 - A[l - 1])
    return grads


def plain_gradient(net, params, X, Y):
    hidden = all(net.activation(l) == "sigmoid" for l in range(1, net.depth))
    output = (net.loss, net.activation(net.depth))
    if not hidden or output not in (("cce", "softmax"), ("mse", "sigmoid")) or net.weight_decay:
        raise ValueError(f"the plain back-prop here is sigmoid hidden, softmax+cce or sigmoid+mse out: {net}")
    L, loss = net.depth, net.loss
    return (lambda: plain_backprop(params, X, Y, L, loss)), dict


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
        elif column == BASELINE:
            out[column] = plain_gradient(net, params, X, Y)
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
        row = {"network": name(net.sizes), "m": m, "parameters": net.parameter_count, "seconds": {},
               "ratio": {}, "flops": product_flops(net, m)}
        calls = {}
        for column, (call, arrays) in candidates(f, params, X, Y, columns).items():
            agree(column, arrays(call()), reference)
            calls[column] = call
        calls["products only"] = products_only(net, m, rng)
        times = interleaved(calls)
        for column, seconds in times.items():
            row["seconds"][column] = statistics.median(seconds)
            row["ratio"][column] = statistics.median(t / b for t, b in zip(seconds, times[BASELINE], strict=True))
        print(f"  {row['network']} m={m}: " + ", ".join(f"{c} {t * 1e6:.1f} µs" for c, t in row["seconds"].items()),
              file=sys.stderr, flush=True)
        rows.append(row)
    return rows


# ---- the large networks, in fresh processes under two heap behaviours

def large_rows(env: dict) -> list[dict]:
    args = [sys.executable, __file__, "--large"] + (["--quick"] if QUICK else []) + \
        (["--cpu", str(CPU)] if CPU is not None else [])
    done = subprocess.run(args, capture_output=True, text=True, check=True, env={**os.environ, **env})
    heap = next(h for h, e in HEAPS.items() if e == env)
    return [{**r, "heap": heap} for r in json.loads(done.stdout)]


def merge(runs: list[list[dict]]) -> list[dict]:
    """Each cell the median over the processes (their own medians of interleaved repeats)."""
    out = []
    for rows in zip(*runs, strict=True):
        row = dict(rows[0])
        for key in ("seconds", "ratio"):
            row[key] = {c: statistics.median(r[key][c] for r in rows) for c in rows[0][key]}
        out.append(row)
    return out


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
        cells = [f"{us(r['seconds'][c])} µs" + ("" if c == BASELINE else f" ({r['ratio'][c]:.2f}×)") for c in columns]
        lines.append(f"| {r['network']} | {r['m']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gflops_table(rows, columns, peak: float) -> str:
    """GFLOP/s of the matrix products per column, and in brackets the share of the 512² matmul rate."""
    lines = ["| network | m | MFLOP | products alone | " + " | ".join(columns) + " |",
             "|---|---|---|---|" + "---|" * len(columns)]
    for r in rows:
        cells = []
        for c in ("products only", *columns):
            g = r["flops"] / r["seconds"][c] / 1e9
            cells.append(f"{g:.1f} ({g / peak:.0%})")
        lines.append(f"| {r['network']} | {r['m']} | {r['flops'] / 1e6:.1f} | " + " | ".join(cells) + " |")
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
    for r in large_rows:
        ratio = r["ratio"]["matrix"]
        out.append((ratio <= MATRIX_VS_PLAIN, f"matrix at least as fast as the plain NumPy back-prop, "
                                              f"{r['network']} m={r['m']}, {r['heap']}: {ratio:.3f}×"))
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
            f"({cpu_model()}){pinned()}; {THREADS} thread per library; "
            f"median of {REPEAT} interleaved repeats of ≥ {MIN_TIME * 1e3:g} ms each" + (" (--quick)" if QUICK else ""))


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def pinned() -> str:
    return f", pinned to CPU {CPU}" if CPU is not None else ""


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        case, routes = json.loads(sys.argv[2])
        case = (tuple(case[0]), case[1] if isinstance(case[1], str) else tuple(case[1]), case[2])
        print(json.dumps(build_one(case, routes)))
        return
    if CPU is not None:
        os.sched_setaffinity(0, {CPU})
    import torch
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(THREADS)
    if sys.argv[1:2] == ["--large"]:
        rng = np.random.default_rng(1)
        print(json.dumps([r for case in LARGE for r in measure(case, (LARGE_BATCH,), LARGE_COLUMNS, rng)]))
        return
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    peak = matmul_rate(rng)

    print("builds …", file=sys.stderr, flush=True)
    keys = [(c, ["forward", "loss", "direct", "delta", "matrix"]) for c in SMALL] + [(c, ["matrix"]) for c in LARGE]
    builds = [(key, build_times(*key)) for key in keys]
    print("small networks …", file=sys.stderr, flush=True)
    small = [r for case in SMALL for r in measure(case, BATCHES, SMALL_COLUMNS, rng)]
    print("large networks …", file=sys.stderr, flush=True)
    large = {heap: [] for heap in HEAPS}
    for _ in range(HEAP_RUNS):
        for heap, env in HEAPS.items():
            large[heap].append(large_rows(env))
    large = {heap: merge(runs) for heap, runs in large.items()}

    print(environment())
    print(f"Single-thread float64 matmul, 512 × 512: {peak:.1f} GFLOP/s")
    print()
    for title, rows, columns in (
            ("### 1. Gradient time per call, small networks (median µs; in brackets × the plain NumPy back-prop)",
             small, SMALL_COLUMNS),
            *((f"### 2{'ab'[k]}. Large networks, m = {LARGE_BATCH}, {heap} (matrix route only; median µs, "
               f"× plain NumPy; median of {HEAP_RUNS} fresh processes)", large[heap], LARGE_COLUMNS)
              for k, heap in enumerate(HEAPS))):
        print(f"{title}\n\n{timing_table(rows, columns)}\n\nGradient evaluations per second:\n\n"
              f"{rate_table(rows, columns)}\n")
    for heap in HEAPS:
        print(f"### GFLOP/s of the matrix products, m = 1024, large networks {heap} (in brackets: share of the "
              f"{peak:.1f} GFLOP/s 512² matmul)")
        print()
        rows = [r for r in small if r["m"] == 1024] if heap == FRESH else []
        print(gflops_table(rows + large[heap], RATE_COLUMNS, peak))
        print()
    print(f"### 3. lambdify build time, seconds (fresh interpreter, median of {BUILD_RUNS})")
    print()
    print(build_table(builds))
    print()
    print("### Targets")
    print()
    results = targets(small, [r for rows in large.values() for r in rows], builds)
    for ok, text in results:
        print(f"- {'PASS' if ok else 'FAIL'}: {text}")
    print()
    print(f"{sum(ok for ok, _ in results)}/{len(results)} targets met; whole run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
