"""How long ``derive --layers`` takes to write a stack up (not a test: numbers for the README's "Layers" section).

Each case runs in a fresh interpreter and times the parts of ``writeup.stack_document``: proving every step of
every layer's derivation (``symbolic/steps.py``), proving the stack (``verify_stack``), the gradcheck of the
generated code (torch and JAX imports included), and rendering the LaTeX and the Markdown; the PDF build
(pdflatex, about a second) is left out.

    python benchmarks/bench_stack_writeup.py            # the README table
    python benchmarks/bench_stack_writeup.py --quick    # the first case
"""
from __future__ import annotations

import json
import subprocess
import sys

CASES = [
    ("input:4, batchnorm, relu, dense:2", "mse", 8),          # the case: batch norm, 4 features, m = 8
    ("input:4, rnn:4/4", "mse", 1),                           # the case: 4 units over 4 steps
    ("input:4, rnn:4/4, dense:1", "mse", 2),
    ("input:3, dense:4, batchnorm, relu, dense:4, add:2, layernorm, dense:3, softmax", "cce", 3),
    ("input:6, conv1d:2/2/2, prelu, rnn:2/2, dense:2, log_softmax", "nll", 3),
]


def one(layers: str, loss: str, batch: int) -> dict:
    import time

    from symbackprop.model.layers import network
    from symbackprop.writeup import stack_document as sd

    stack = network(layers, loss=loss, batch=batch)
    seconds: dict[str, float] = {}
    started = {"at": time.perf_counter(), "stage": ""}

    def progress(stage: str, done: int, total: int) -> None:       # the time spent in each stage
        now = time.perf_counter()
        if started["stage"]:
            seconds[started["stage"]] = seconds.get(started["stage"], 0.0) + now - started["at"]
        started["at"], started["stage"] = now, stage

    start = time.perf_counter()
    doc = sd.stack_document(stack, progress=progress)
    progress("", 0, 0)                              # the last stage's time
    made = time.perf_counter() - start
    begin = time.perf_counter()
    for fmt in ("tex", "md"):
        sd.render_stack(doc, fmt)
    rendered = time.perf_counter() - begin
    steps = sum(len(s["steps"]) for s in doc["sections"])
    return {"layers": layers, "loss": loss, "batch": batch, "steps": steps, "ok": doc["holds"],
            "steps_s": round(seconds.get("deriving each layer's rule", 0.0), 2),
            "verify_s": round(seconds.get("proving the stack", 0.0), 2),
            "gradcheck_s": round(seconds.get("comparing with the references", 0.0), 2),
            "total_s": round(made + rendered, 2)}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(*json.loads(sys.argv[2]))))
        return
    cases = CASES[:1] if "--quick" in sys.argv else CASES
    print("| layers | loss | batch m | derivation steps | steps proved (s) | stack proved (s) | gradcheck (s) | "
          "document, all in (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for case in cases:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps(case)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout)
        assert r["ok"], r
        print(f"| `{r['layers']}` | {r['loss']} | {r['batch']} | {r['steps']} | {r['steps_s']} | {r['verify_s']} | "
              f"{r['gradcheck_s']} | {r['total_s']} |")


if __name__ == "__main__":
    main()
