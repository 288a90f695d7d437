"""How long the layer graph takes to prove a stack and gradcheck its generated code (not a test: numbers for
the README's "Layers" section).

Each case runs in a fresh interpreter: the seconds to build the graph and prove every layer's backward rule
(``verify_stack``), the partials proved exactly / numerically, and the seconds for the gradcheck (central
differences over every entry, complex step where analytic, torch and JAX where installed, their imports
included).

    python benchmarks/bench_layers.py            # the README table
    python benchmarks/bench_layers.py --quick    # the first case
"""
from __future__ import annotations

import json
import subprocess
import sys

CASES = [
    ("input:4, batchnorm, relu, dense:2", "mse", 8),          # the case: batch norm, 4 features, m = 8
    ("input:4, batchnorm:1/1000, tanh, dense:3, log_softmax", "nll", 8),
    ("input:4, dense:4, batchnorm, relu, dense:3, softmax", "cce", 4),
    ("input:3, dense:3, dropout:1/2, tanh, add:1, dense:1", "mse", 8),
    ("input:6, conv1d:2/2/2, tanh, dense:1", "mse", 2),
    ("input:8, conv1d:2/3/3, tanh, conv1d:3/1/2, dense:1", "mse", 4),
    ("input:4, rnn:4/4", "mse", 1),                           # the case: 4 units over 4 steps
    ("input:4, rnn:4/4, dense:1", "mse", 2),
    ("input:4, layernorm, tanh, dense:1", "mse", 8),
    ("input:4, dense:4, prelu, dense:1", "mse", 8),
]


def one(layers: str, loss: str, batch: int) -> dict:
    import time

    import numpy as np

    from symbackprop.model.layers import network
    from symbackprop.numeric.layers import gradcheck_stack, random_data, random_given, random_params
    from symbackprop.symbolic.graph import verify_stack

    stack = network(layers, loss=loss, batch=batch)
    start = time.perf_counter()
    report = verify_stack(stack)
    proved = time.perf_counter() - start
    rng = np.random.default_rng(0)
    params, (X, Y), data = random_params(stack, rng), random_data(stack, batch, rng), random_given(stack, batch, rng)
    start = time.perf_counter()
    check = gradcheck_stack(stack, params, X, Y, data)
    checked = time.perf_counter() - start
    statuses = [r.status for r in report.parameters]
    return {"layers": layers, "loss": loss, "batch": batch, "parameters": stack.parameter_count,
            "partials": len(statuses), "proved": statuses.count("proved"), "numeric": statuses.count("numeric"),
            "ok": report.ok and check.ok, "verify_s": round(proved, 2), "gradcheck_s": round(checked, 2),
            "references": ", ".join(c.reference for c in check.comparisons if not c.refused)}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(*json.loads(sys.argv[2]))))
        return
    cases = CASES[:1] if "--quick" in sys.argv else CASES
    print("| layers | loss | batch m | parameters | partials (proved / numeric) | verify (s) | gradcheck (s) | "
          "references |")
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps(case)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout)
        assert r["ok"], r
        print(f"| `{r['layers']}` | {r['loss']} | {r['batch']} | {r['parameters']} | {r['partials']} "
              f"({r['proved']} / {r['numeric']}) | {r['verify_s']} | {r['gradcheck_s']} | {r['references']} |")


if __name__ == "__main__":
    main()
