"""How derive + verify grows with the network and the batch (not a test: numbers for the README).

Each case runs in a fresh interpreter, so SymPy's cache from one case does not speed up the next.
Columns: parameters, equations checked (activation-edge lemmas, δ steps, gradients), seconds for
derive + verify, and the size (SymPy count_ops) of the direct ∂E/∂W1[1,1] written in the named
quantities Z, A; for small networks also the plain approach: diff of the fully substituted E.

    python benchmarks/bench_verify.py            # the README table
    python benchmarks/bench_verify.py --quick    # the two smallest cases
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

CASES = [
    ((2, 3, 1), 2, "sigmoid", "mse"),
    ((2, 3, 1), 2, "generic", "mse"),
    ((4, 8, 3), 4, "sigmoid", "mse"),
    ((4, 8, 8, 3), 1, "sigmoid", "mse"),
    ((4, 8, 8, 3), 4, "sigmoid", "mse"),
    ((4, 8, 8, 3), 8, "sigmoid", "mse"),
    ((4, 8, 8, 3), 4, "generic", "mse"),
    ((4, 8, 8, 3), 4, "tanh,tanh,softmax", "cce"),
    ((8, 16, 16, 4), 8, "sigmoid", "mse"),
    ((8, 16, 16, 4), 8, "generic", "mse"),
]
PLAIN_UP_TO = 100            # parameters: the plain approach is measured only below this


def one(sizes, batch, activations, loss) -> dict:
    import sympy as sp

    from symbackprop import Network, derive, verify

    acts = tuple(activations.split(",")) if "," in activations else activations
    net = Network(sizes=sizes, activations=acts, loss=loss, batch=batch)
    start = time.perf_counter()
    d = derive(net)
    report = verify(d)
    seconds = time.perf_counter() - start
    row = {"sizes": sizes, "batch": batch, "activations": activations, "loss": loss,
           "parameters": net.parameter_count, "equations": len(report.steps),
           "seconds": seconds, "ok": report.ok, "ops": sp.count_ops(d.partial("W1[1,1]"))}
    if net.parameter_count < PLAIN_UP_TO:
        start = time.perf_counter()
        E = d.forward.in_terms_of_parameters(d.E)
        for name in d.parameters:
            sp.diff(E, d.symbol(name))
        row["plain"] = time.perf_counter() - start
    return row


def main() -> None:
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(*json.loads(sys.argv[2]))))
        return
    cases = CASES[:2] if "--quick" in sys.argv else CASES
    print("| network | batch m | activations, loss | parameters | equations | derive + verify (s) "
          "| size of ∂E/∂W1[1,1] (ops) | plain: diff of substituted E (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps(case)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        plain = f"{r['plain']:.2f}" if "plain" in r else "—"
        assert r["ok"], r
        print(f"| {'-'.join(map(str, r['sizes']))} | {r['batch']} | {r['activations']}, {r['loss']} | "
              f"{r['parameters']} | {r['equations']} | {r['seconds']:.2f} | {r['ops']} | {plain} |", flush=True)


if __name__ == "__main__":
    main()
