"""How the write-up's cost grows with the network (not a test: numbers for the README).

Each case runs in a fresh interpreter. Columns: seconds to build the document's content (verify,
the numeric comparison, every general equation proved at every instance, the worked partial and
its explanation), to render the LaTeX and the Markdown, and to compile the PDF (latexmk); pages,
and the size of the .tex.

    python benchmarks/bench_writeup.py            # the README table
    python benchmarks/bench_writeup.py --quick    # the smallest case
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

CASES = [
    ((2, 3, 1), 2, "sigmoid", "mse"),
    ((2, 3, 1), 2, "generic", "mse"),
    ((2, 3, 3), 2, "tanh,softmax", "cce"),
    ((2, 3, 3, 1), 2, "sigmoid", "mse"),
    ((4, 8, 3), 4, "sigmoid", "mse"),
    ((4, 8, 8, 3), 2, "sigmoid", "mse"),
]


def one(sizes, batch, activations, loss) -> dict:
    import tempfile
    from pathlib import Path

    from symbackprop import Network, derive
    from symbackprop.writeup.document import document, evidence
    from symbackprop.writeup.layout import render_template
    from symbackprop.writeup.pdf import compile_pdf, pdf_text

    acts = tuple(activations.split(",")) if "," in activations else activations
    net = Network(sizes=sizes, activations=acts, loss=loss, batch=batch)
    start = time.perf_counter()
    d = derive(net)
    doc = document(d, shared=evidence(d))
    built = time.perf_counter()
    tex, md = render_template("derivation.tex.j2", doc), render_template("derivation.md.j2", doc)
    rendered = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "derivation.pdf"
        log = compile_pdf(tex, pdf)
        compiled = time.perf_counter()
        pages = pdf_text(pdf).count("\f")
    return {"network": "-".join(map(str, sizes)), "batch": batch, "activations": activations, "loss": loss,
            "parameters": net.parameter_count, "content": built - start, "render": rendered - built,
            "pdf": compiled - rendered, "pages": pages, "tex_kb": len(tex.encode()) / 1024,
            "md_kb": len(md.encode()) / 1024, "overfull": max([w for w, _ in log.overfull], default=0.0)}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(one(*json.loads(sys.argv[2]))))
        return
    cases = CASES[:1] if "--quick" in sys.argv else CASES
    print("| network | m | activations, loss | parameters | content (s) | render (s) | PDF (s) | pages | .tex (kB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in cases:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps(case)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout)
        print(f"| {r['network']} | {r['batch']} | {r['activations']}, {r['loss']} | {r['parameters']} | "
              f"{r['content']:.2f} | {r['render']:.2f} | {r['pdf']:.2f} | {r['pages']} | {r['tex_kb']:.0f} |",
              flush=True)


if __name__ == "__main__":
    main()
