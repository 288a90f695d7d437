"""How the cost of checking a claim grows with the network and the batch (not a test: numbers for the README).

Each case runs in a fresh interpreter. Per network: the seconds to check three right claims (the
output δ, the hidden δ for every layer, the weight gradient for every layer, each at every unit and
sample) and one wrong claim with its full diagnosis (every repair tried, including the other
losses and activations), and the number of instances checked.

    python benchmarks/bench_check.py            # the README table
    python benchmarks/bench_check.py --quick    # the smallest case
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

CASES = [
    ((2, 3, 1), 1, "generic"),
    ((2, 3, 1), 2, "generic"),
    ((2, 3, 1), 8, "generic"),
    ((2, 3, 1), 2, "sigmoid"),
    ((4, 8, 3), 2, "sigmoid"),
    ((2, 3, 3, 1), 2, "generic"),
    ((4, 8, 8, 3), 2, "sigmoid"),
    ((8, 16, 16, 4), 8, "sigmoid"),       # the notations issue's case: under 10 s for a claim
]
RIGHT = [r"\delta^L = (A^L - Y) \odot {g^L}'(Z^L) / m",
         r"\delta^{l} = (W^{l+1})^T \delta^{l+1} \odot {g^{l}}'(Z^{l})",
         r"\frac{\partial E}{\partial W^l} = \delta^l (A^{l-1})^T"]
WRONG = r"\delta^L = (A^L - Y) / m"


def one(sizes, batch, activations) -> dict:
    from symbackprop import Network, check, derive

    d = derive(Network(sizes=sizes, activations=activations, loss="mse", batch=batch))
    start = time.perf_counter()
    verdicts, times = [], []
    for claim in RIGHT:
        began = time.perf_counter()
        verdicts.append(check(d, claim))
        times.append(time.perf_counter() - began)
    right = time.perf_counter()
    wrong = check(d, WRONG)
    diagnosed = time.perf_counter()
    assert all(v.status == "proved" for v in verdicts) and wrong.status == "wrong", [v.text() for v in verdicts]
    return {"network": "-".join(map(str, sizes)), "batch": batch, "activations": activations,
            "instances": sum(v.instances for v in verdicts), "right": right - start, "slowest": max(times),
            "wrong": diagnosed - right,
            "diagnoses": len(wrong.diagnoses)}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(*json.loads(sys.argv[2]))))
        return
    cases = CASES[:1] if "--quick" in sys.argv else CASES
    print("| network | m | activations | instances | 3 right claims (s) | slowest of them (s) "
          "| 1 wrong claim, diagnosed (s) |")
    print("|---|---|---|---|---|---|---|")
    for case in cases:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps(case)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout)
        print(f"| {r['network']} | {r['batch']} | {r['activations']} | {r['instances']} | {r['right']:.2f} | "
              f"{r['slowest']:.2f} | {r['wrong']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
