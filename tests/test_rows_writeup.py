"""The samples-as-rows write-up (CS231n's layout): every whole matrix the transpose of the matrix notation's.

The transform is checked as mathematics (each printed matrix equation evaluated at random matrices equals the
transpose of ours), the document's numbers against a row-major back-prop written as the case study writes it,
and the document against the claim checker reading the case study's own lines.
"""
import re
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp
from helpers import require_latex

from symbackprop import Network, SpecError, check, derive, explain, preset
from symbackprop.model.notations import notation
from symbackprop.symbolic.delta import BACKPROP
from symbackprop.symbolic.general import General, layer_matrix
from symbackprop.writeup.algorithm import backward_dimensions
from symbackprop.writeup.document import render, write
from symbackprop.writeup.numbers import Inputs
from symbackprop.writeup.printing import Printer, as_rows

SCRIPT = shutil.which("symbackprop")
ROWS = notation("rows")


def _value(expr, values: dict) -> sp.Matrix:
    """A matrix expression at concrete matrices, one per MatrixSymbol name (as_rows keeps the names)."""
    leaves = {s: values[s.name] if values[s.name].shape == s.shape else None for s in expr.atoms(sp.MatrixSymbol)}
    assert all(v is not None for v in leaves.values()), "a leaf of the wrong shape"
    return sp.Matrix(expr.xreplace(leaves).doit())


def _random(shape, rng) -> sp.Matrix:
    return sp.Matrix(*shape, [sp.Rational(int(v), 7) for v in rng.integers(-20, 20, size=shape[0] * shape[1])])


@pytest.mark.parametrize("sizes, m", [((2, 3, 1), 4), ((3, 4, 2, 2), 5)])
def test_every_matrix_equation_in_rows_is_the_transpose_of_ours(sizes, m):
    """Each backward product of the network, and the forward Z = W A + b 1ᵀ, in the reader's layout: with the
    reader's matrices the transposes of ours, the rows form's value is the transpose of ours, entry by entry."""
    rng = np.random.default_rng(1)
    net = Network(sizes=sizes, activations="tanh", loss="mse", batch=m)
    d = derive(net)
    general, p = General(d.chain, ROWS), Printer.for_network(ROWS, net)
    exprs = []
    for l in range(1, len(sizes)):
        W, A = layer_matrix("W", str(l), 0, sizes[l], sizes[l - 1]), layer_matrix("A", str(l), -1, sizes[l - 1], m)
        bias = layer_matrix("b", str(l), 0, sizes[l], 1)
        exprs.append(sp.MatAdd(W * A, bias * sp.OneMatrix(1, m)))
        if l < len(sizes) - 1:
            Wn = layer_matrix("W", str(l + 1), 0, sizes[l + 1], sizes[l])
            dn = layer_matrix("delta", str(l + 1), 0, sizes[l + 1], m)
            G = layer_matrix("gprime", str(l), 0, sizes[l], m)
            exprs.append(BACKPROP.hidden(Wn, dn, G))
        dl = layer_matrix("delta", str(l), 0, sizes[l], m)
        exprs += [BACKPROP.weight_gradient(dl, A, W, 0), BACKPROP.bias_gradient(dl, bias, 0)]
    checked = 0
    for expr in exprs:
        ours = {s.name: _random(s.shape, rng) for s in expr.atoms(sp.MatrixSymbol)}
        readers = {name: value.T for name, value in ours.items()}
        rows = as_rows(expr)
        assert rows.shape == expr.shape[::-1]
        assert _value(rows, readers) == _value(expr, ours).T, (expr, rows)
        checked += 1
    assert checked == 4 * (len(sizes) - 1) - 1
    printed = [r["rhs"] for r in backward_dimensions(general, p, general.boxed(), 0)]
    assert printed[0].startswith(r"\left((" + f"{m}" + r" \times")                  # δ^L is m × n_L, a row each


def test_a_planted_wrong_transform_is_caught():
    """The check above fails for a layout that keeps our order of factors (A Wᵀ would be (W A)ᵀ only with the
    product reversed): the test can fail."""
    rng = np.random.default_rng(2)
    W, A = sp.MatrixSymbol("W", 3, 2), sp.MatrixSymbol("A", 2, 3)
    ours = {"W": _random((3, 2), rng), "A": _random((2, 3), rng)}
    wrong = sp.MatMul(sp.MatrixSymbol("W", 2, 3), sp.MatrixSymbol("A", 3, 2))       # the order kept
    assert _value(wrong, {k: v.T for k, v in ours.items()}) != _value(W * A, ours).T
    assert _value(as_rows(W * A), {k: v.T for k, v in ours.items()}) == _value(W * A, ours).T


@pytest.fixture(scope="module")
def cs231n():
    """The case study's network: ReLU, softmax, mean cross-entropy, samples as rows, at m = 5."""
    d = derive(preset("rows", sizes=(2, 3, 3)))
    return d, render(d, notation="rows", fmt="markdown")


def test_the_document_writes_row_major_forms(cs231n):
    _, text = cs231n
    for line in (r"Z^{1} = A^{0} W^{1} + \mathbf{1} b^{1}",                                # hidden_layer
                 r"\delta^{l} &= \left(\delta^{l + 1} \left(W^{l + 1}\right)^{T}\right) \odot {g^{l}}'\left(Z^{l}\right)",
                 r"\frac{\partial E}{\partial W^{l}} &= \left(A^{l - 1}\right)^{T} \delta^{l}",   # X.T.dot(dhidden)
                 r"\frac{\partial E}{\partial b^{l}} &= \mathbf{1}^{T} \delta^{l}",               # np.sum(axis=0)
                 r"Z^{l}_{c;i} &= b^{l}_{i} + \sum_{j=1}^{n^{l - 1}} A^{l - 1}_{c;j} W^{l}_{ji}",
                 r"$(5 \times 3) = (5 \times 2)(2 \times 3) + (5 \times 1)(1 \times 3)$",
                 r"$(2 \times 3) = (2 \times 5)(5 \times 3)$",                                  # ∂E/∂W^1
                 "In matrix form, with the samples as rows",
                 "the softmax couples the row", "every row of Y sums to 1"):
        assert line in text, line
    assert "with the samples as columns" not in text and "each sample's column" not in text
    assert "@" not in text


def test_the_case_studys_lines_are_the_documents_matrix_form(cs231n):
    """What the document prints for the gradients is what the checker proves of CS231n's own lines, and the
    matrix notation's order is refuted in this notation."""
    d, text = cs231n
    assert r"\left(A^{l - 1}\right)^{T} \delta^{l}" in text
    assert check(d, "dW2 = np.dot(hidden_layer.T, dscores)", "rows").status == "proved"
    assert check(d, "db2 = np.sum(dscores, axis=0, keepdims=True)", "rows").status == "proved"
    assert check(d, "dhidden = np.dot(dscores, W2.T)", "rows").status == "proved"
    assert check(d, "dW2 = np.dot(dscores.T, hidden_layer)", "rows").status == "wrong"


def _case_study(params, X, Y):
    """The case study's forward and backward pass, samples as rows, as it writes them (W is D×H, b a row)."""
    N = X.shape[0]
    hidden = np.maximum(0, X @ params["W1"] + params["b1"])
    scores = hidden @ params["W2"] + params["b2"]
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    dscores = (probs - Y) / N                    # the case study's probs[range(N), y] -= 1; /= N, one-hot Y
    dhidden = dscores @ params["W2"].T
    dhidden[hidden <= 0] = 0
    return {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0, keepdims=True),
            "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0, keepdims=True)}, dscores


def _printed(text: str, glyph: str) -> float:
    match = re.search(re.escape(glyph) + r" = (-?[0-9.]+(?: \\times 10\^\{-?\d+\})?)\$", text)
    assert match, glyph
    mantissa, _, exponent = match[1].partition(r" \times 10^{")
    return float(mantissa) * 10.0 ** int(exponent.rstrip("}") or 0)


def test_the_worked_numbers_are_the_case_studys_row_major_backprop(tmp_path):
    """Parameters and data given in the reader's layout (W1 is D×H, b1 a 1×H row, X is N×D): every gradient the
    document prints, at its row-major indices, equals the case study's NumPy to 10 significant digits."""
    rng = np.random.default_rng(7)
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=(1, 3)), "W2": rng.normal(size=(3, 3)),
              "b2": rng.normal(size=(1, 3))}
    X, Y = rng.normal(size=(5, 2)), np.eye(3)[rng.integers(0, 3, size=5)]
    np.savez(tmp_path / "p.npz", **params)
    np.savez(tmp_path / "x.npz", X=X, Y=Y)
    subprocess.run([SCRIPT, "derive", "--preset", "rows", "--sizes", "2,3,3", "--params", str(tmp_path / "p.npz"),
                    "--data", str(tmp_path / "x.npz"), "--format", "md", "-o", str(tmp_path / "doc")], check=True,
                   capture_output=True)
    text = (tmp_path / "doc" / "derivation.md").read_text()
    grads, dscores = _case_study(params, X, Y)
    compared = 0
    for name, array in grads.items():
        for (r, c), value in np.ndenumerate(array):
            glyph = (rf"\frac{{\partial E}}{{\partial W^{{{name[1]}}}_{{{r + 1}{c + 1}}}}}" if name[0] == "W"
                     else rf"\frac{{\partial E}}{{\partial b^{{{name[1]}}}_{{{c + 1}}}}}")
            assert _printed(text, glyph) == pytest.approx(value, rel=1e-9, abs=1e-12), glyph
            compared += 1
    assert compared == 6 + 3 + 9 + 3
    lines = text.splitlines()
    for (c, i), value in np.ndenumerate(dscores):  # δ^L_{c;i}: sample c, unit i; as CS231n's dscores, row c, column i
        header = next(k for k, line in enumerate(lines) if rf"| $\delta^{{2}}_{{c;{i + 1}}}$ |" in line)
        column = [cell.strip() for cell in lines[header].split("|")].index(rf"$\delta^{{2}}_{{c;{i + 1}}}$")
        row = next(line for line in lines[header:] if line.startswith(f"| $c = {c + 1}$ |"))
        assert float(row.split("|")[column].strip(" $")) == pytest.approx(value, rel=1e-9, abs=1e-12)
    assert _printed(text, r"W^{1}_{12}") == pytest.approx(params["W1"][0, 1], rel=1e-9)   # row 1, column 2


def test_arrays_in_the_matrix_notations_layout_are_refused_in_one_line(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "p.npz", W1=rng.normal(size=(3, 2)), b1=np.zeros(3), W2=rng.normal(size=(3, 3)),
             b2=np.zeros(3))
    run = subprocess.run([SCRIPT, "derive", "--preset", "rows", "--sizes", "2,3,3", "--params",
                          str(tmp_path / "p.npz"), "-o", str(tmp_path / "doc")], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [
        "symbackprop: error: --params: W1 has shape (3, 2); expected (2, 3) = (n_0, n_1): in the rows notation "
        "a weight matrix has a row per unit of the layer before and a column per unit of its layer"]
    np.savez(tmp_path / "x.npz", X=np.zeros((2, 5)), Y=np.zeros((3, 5)))            # samples as columns
    run = subprocess.run([SCRIPT, "derive", "--preset", "rows", "--data", str(tmp_path / "x.npz"), "-o",
                          str(tmp_path / "doc")], capture_output=True, text=True)
    assert run.returncode == 2 and run.stderr.strip().splitlines() == [
        "symbackprop: error: --data: X has shape (2, 5); expected (m, 2): in the rows notation a sample is a row"]
    assert not (tmp_path / "doc").exists()


def test_a_parameter_is_named_row_major():
    """W1[2,1] in the rows notation is the weight in row 2 (input unit 2), column 1 (hidden unit 1): our W1[1,2]."""
    d = derive(preset("rows", sizes=(2, 3, 3)))
    x = explain(d, "W1[2,1]", notation="rows")
    assert x.parameter == "W1[1,2]"
    assert r"\frac{\partial E}{\partial W^{1}_{21}}" in x.latex()
    assert "A^{0}_{1;2}" in x.latex()                  # its input: sample 1, input unit 2
    assert ROWS.parameter("W1[1,2]") == "W1[2,1]" and ROWS.canonical("W1[2,1]") == "W1[1,2]"
    with pytest.raises(SpecError):
        explain(d, "W1[3,1]", notation="rows")          # row 3 of W^1 does not exist: 2 inputs


def test_the_rows_document_compiles_and_holds(tmp_path):
    require_latex()
    for net in (preset("rows", sizes=(2, 3, 3)), Network(sizes=(2, 3, 3, 1), activations="tanh", loss="mse")):
        out = write(derive(net), tmp_path / "-".join(map(str, net.sizes)), notations=("rows",), formats=("pdf",),
                    numbers=Inputs())
        assert out.ok and out.problems == [], out.problems
        for pdf, log in out.logs.items():
            assert log.errors == () and not [o for o in log.overfull if o[0] > 10], (pdf.name, log.overfull)


def test_gradcheck_reads_the_rows_layout_and_names_entries_as_the_notation_does(tmp_path):
    """gradcheck --notation rows takes the case study's arrays (a planted wrong gradient in that layout fails, at
    the entry named row-major), and every notation names its worst entries its own way."""
    rng = np.random.default_rng(3)
    params = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=(1, 3)), "W2": rng.normal(size=(3, 3)),
              "b2": rng.normal(size=(1, 3))}
    X, Y = rng.normal(size=(5, 2)), np.eye(3)[rng.integers(0, 3, size=5)]
    grads, _ = _case_study(params, X, Y)
    np.savez(tmp_path / "p.npz", **params)
    np.savez(tmp_path / "x.npz", X=X, Y=Y)
    np.savez(tmp_path / "g.npz", **grads)
    grads["W2"][2, 0] += 1e-3                               # row 3, column 1 of the case study's dW2
    np.savez(tmp_path / "bad.npz", **grads)
    base = [SCRIPT, "gradcheck", "--preset", "rows", "--notation", "rows", "--sizes", "2,3,3",
            "--params", str(tmp_path / "p.npz"), "--data", str(tmp_path / "x.npz")]
    good = subprocess.run(base + ["--against", str(tmp_path / "g.npz")], capture_output=True, text=True)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run(base + ["--against", str(tmp_path / "bad.npz")], capture_output=True, text=True)
    assert bad.returncode == 1 and "(worst: your gradients at W2[3,1])" in bad.stdout, bad.stdout
    theta = subprocess.run([SCRIPT, "gradcheck", "--notation", "theta", "--sizes", "2,3,1"], capture_output=True,
                           text=True)
    assert theta.returncode == 0 and "θ(2)[1,0]" in theta.stdout and "b2[1]" not in theta.stdout


def test_the_worked_parameter_is_read_row_major_throughout_the_document():
    """render(..., parameter="W1[2,1]") in rows works W^1's row 2, column 1 (our W1[1,2]): its title, its chain
    (input unit 2 of every sample) and its numbers, never our W1[2,1] read twice."""
    d = derive(preset("rows", sizes=(2, 3, 3)))
    text = render(d, notation="rows", fmt="markdown", parameter="W1[2,1]")
    assert "## 7. A worked example: $W^{1}_{21}$" in text
    assert r"&= A^{0}_{1;2} \frac{\partial E}{\partial Z^{1}_{1;1}}" in text        # ∂Z_{c;1}/∂W_{21} = A^0_{c;2}
    assert "A worked example: $W^{1}_{12}$" not in text


def test_the_presets_hidden_and_output_activations_stretch_to_the_sizes_given(tmp_path):
    """--preset rows --sizes 4,8,8,3 stopped at 'activations needs one name for every layer': the user gave none;
    the preset's (relu, softmax) means relu hidden layers and a softmax output, at any depth."""
    run = subprocess.run([SCRIPT, "verify", "--preset", "rows", "--sizes", "3,4,4,3", "--batch", "2"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "relu,relu,softmax" in run.stdout.splitlines()[0], run.stdout + run.stderr
    given = subprocess.run([SCRIPT, "verify", "--preset", "rows", "--sizes", "3,4,4,3", "--activation", "tanh,relu"],
                           capture_output=True, text=True)
    assert given.returncode == 2 and "activations needs one name" in given.stderr     # what the user gave is kept



def test_the_rows_tables_are_the_case_studys_layout_and_a_dead_unit_is_explained_both_ways():
    """Review 8: the rows document printed its tables with the samples as columns and W¹ transposed, against the
    layout it teaches; and it said only why the weights into the dead relu unit get no gradient, not those out of
    it. The tables have a row per sample (W: a row per unit before, as CS231n's W is D×H); the gradients out of a
    unit whose output is 0 in every sample are 0, as the document says."""
    from symbackprop import derive, preset
    from symbackprop.writeup.document import render
    from symbackprop.writeup.numbers import compute
    d = derive(preset("rows"))
    text = render(d, notation="rows", fmt="markdown")
    assert "| | $W^{1}_{j1}$ | $W^{1}_{j2}$ | $W^{1}_{j3}$ |" in text and "| $j = 2$ |" in text
    assert "| | $A^{0}_{c;1}$ | $A^{0}_{c;2}$ |" in text and "Each sample (a row each)" in text
    w = compute(d)
    dead = [i for i in range(1, 4) if all(w.values[f"A1_{i}_{c}"] == 0 for c in range(1, d.net.batch + 1))]
    assert dead == [3]                                           # the preset's data: unit 3 of layer 1 is off
    assert all(w.gradients[f"W2_{k}_3"] == 0 for k in range(1, 4))         # the weights out of it
    assert all(w.gradients[f"W1_3_{j}"] == 0 for j in range(1, 3)) and w.gradients["b1_3"] == 0   # and into it
    assert ("Unit 3 of layer 1 passes nothing back" in text
            and "its activation is 0 in every sample too, so the gradients of the weights out of it are 0" in text)
