"""How the layer graph's proof grows with the layer kinds (not a test: numbers for the README's layers section).

Each case runs in a fresh interpreter, so SymPy's cache from one case does not speed up the next. Columns: the
stack, the batch, parameters, partials proved (every parameter and every input component), how many exactly,
and seconds for building the graph and proving every layer's backward rule (``verify_stack``), then seconds for
generating the NumPy code and gradchecking it (differences, complex step, torch and JAX where installed).

    python benchmarks/bench_layers.py            # the README table
    python benchmarks/bench_layers.py --quick    # the two smallest cases
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

CASES = [
    ("input:6, conv1d:2/2/2, tanh, dense:1", 2),
    ("input:8, conv1d:2/3/3, tanh, conv1d:3/1/2, dense:1", 4),
    ("input:4, rnn:4/4", 1),
    ("input:4, rnn:4/4, dense:1", 2),
    ("input:4, layernorm, tanh, dense:1", 8),
    ("input:4, dense:4, prelu, dense:1", 8),
]


def one(text: str, batch: int) -> dict:
    import numpy as np

    from symbackprop.model.layers import network
    from symbackprop.numeric.layers import gradcheck_stack, random_data, random_params
    from symbackprop.symbolic.graph import verify_stack

    stack = network(text, batch=batch)
    start = time.perf_counter()
    report = verify_stack(stack)
    proof = time.perf_counter() - start
    rng = np.random.default_rng(0)
    params, (X, Y) = random_params(stack, rng), random_data(stack, batch, rng)
    start = time.perf_counter()
    check = gradcheck_stack(stack, params, X, Y)
    numeric = time.perf_counter() - start
    return {"stack": text, "batch": batch, "parameters": stack.parameter_count, "partials": len(report.parameters),
            "proved": sum(r.status == "proved" for r in report.parameters), "ok": report.ok and check.ok,
            "proof": round(proof, 1), "gradcheck": round(numeric, 1)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        text, batch = json.loads(sys.argv[2])
        print(json.dumps(one(text, batch)))
        return
    cases = CASES[:2] if "--quick" in sys.argv else CASES
    print("| stack | m | parameters | partials (proved) | prove (s) | gradcheck (s) |")
    print("|---|---|---|---|---|---|")
    for text, batch in cases:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps([text, batch])], capture_output=True,
                             text=True, check=True)
        r = json.loads(out.stdout)
        print(f"| `{r['stack']}` | {r['batch']} | {r['parameters']} | {r['partials']} ({r['proved']}) | "
              f"{r['proof']} | {r['gradcheck']} |" + ("" if r["ok"] else " FAILED"))


if __name__ == "__main__":
    main()
