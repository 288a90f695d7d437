"""The backward pass as an algorithm: its lines in each notation, the δ^L line of the matrix form against
the closed form, the shapes of every backward product, and the multiplication counts against running both
ways and counting."""
import itertools

import numpy as np
import pytest
import sympy as sp

from symbackprop import Network, derive
from symbackprop.model.notations import notation
from symbackprop.symbolic import delta as delta_module
from symbackprop.symbolic.delta import activation_derivative
from symbackprop.symbolic.general import General, m
from symbackprop.writeup import algorithm as algo
from symbackprop.writeup.document import render
from symbackprop.writeup.printing import Printer


def parts(net: Network, name: str):
    d = derive(net)
    general = General(d.chain, notation(name))
    return d, general, Printer.for_network(notation(name), net), general.boxed()


def lines(net: Network, name: str) -> list[str]:
    d, general, p, boxed = parts(net, name)
    out = []
    for step in algo.algorithm(general, p, boxed, net.weight_decay)["steps"]:
        out += [f"{x['lhs']} {x['relation']} {x['rhs']}" for x in step["lines"] if x["lhs"]]
    return out


# --- the lines, in each notation's symbols -------------------------------------------------------------


def test_the_algorithm_in_the_matrix_notation():
    shown = lines(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2), "matrix")
    assert shown == [
        r"Z^{l} = W^{l} A^{l - 1} + b^{l} \mathbf{1}^{T}",
        r"A^{l} = g^{l}\left(Z^{l}\right)",
        r"\delta^{L} = \frac{1}{m} \left(\left(A^{L} - Y\right) \odot {g^{L}}'\left(Z^{L}\right)\right)",
        r"\delta^{l} = \left(\left(W^{l + 1}\right)^{T} \delta^{l + 1}\right) \odot {g^{l}}'\left(Z^{l}\right)",
        r"\frac{\partial E}{\partial W^{l}} = \delta^{l} \left(A^{l - 1}\right)^{T}",
        r"\frac{\partial E}{\partial b^{l}} = \delta^{l} \mathbf{1}",
        r"W^{l} \leftarrow W^{l} - \eta \frac{\partial E}{\partial W^{l}}",
        r"b^{l} \leftarrow b^{l} - \eta \frac{\partial E}{\partial b^{l}}"]


def test_the_algorithm_in_theta_and_ufldl():
    theta = lines(Network(sizes=(2, 3, 1), activations="sigmoid", loss="bce", batch=2), "theta")
    assert r"\delta^{(L)} = h^{(L)}\left(z^{(L)}\right) - y" in theta                       # seed 001's (42), matrix
    assert (r"\delta^{(l)} = \left(\left(\theta^{(l)}_{:,1:}\right)^{T} \delta^{(l + 1)}\right) \odot "
            r"\Psi^{(l)}\left(z^{(l)}\right)") in theta
    assert r"\frac{\partial J}{\partial \theta^{(l)}_{:,1:}} = \frac{1}{m} \delta^{(l + 1)} " \
           r"\left(h^{(l)}\left(z^{(l)}\right)\right)^{T}" in theta
    assert not any(line.startswith("h^{(l + 1)}") for line in theta)        # θ writes A as h(z): no h = h line
    ufldl = lines(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=1), "ufldl")
    assert (r"\epsilon^{(l)} = \left(\left(W^{(l)}\right)^{T} \epsilon^{(l + 1)}\right) \odot "
            r"{\sigma}'\left(z^{(l)}\right)") in ufldl                           # ufldl's W^(l) maps l -> l + 1
    assert r"\epsilon^{(L)} = \left(a^{(L)} - y\right) \odot {\sigma}'\left(z^{(L)}\right)" in ufldl


def test_softmax_cce_gives_the_short_line_with_its_assumption():
    d, general, p, boxed = parts(Network(sizes=(2, 3, 3), activations=("tanh", "softmax"), loss="cce"), "matrix")
    (line,) = algo.output_delta_matrix(general, p, boxed)
    assert line["rhs"] == r"\frac{1}{m} \left(A^{L} - Y\right)" and "sums to 1" in line["assumption"]


# --- the δ^L line of the matrix form is the closed form's δ^L, entry by entry ---------------------------------


CASES = [(("sigmoid", "sigmoid"), "mse"), (("tanh", "sigmoid"), "bce"), (("relu", "identity"), "mse"),
         (("sigmoid", "tanh"), "mse")]


@pytest.mark.parametrize("name", ["matrix", "theta", "ufldl"])
@pytest.mark.parametrize("acts, loss", CASES)
def test_the_output_delta_matrix_line_is_the_closed_form(acts, loss, name):
    net = Network(sizes=(2, 2, 2), activations=acts, loss=loss, batch=2)
    d, general, p, boxed = parts(net, name)
    fp, L = d.forward, net.depth
    eq = algo.output_equations(boxed)[0]
    matrix = algo.as_matrix(eq.rhs, general, net.sizes[L], net.batch, concrete=True)
    values = {"A": fp.A[L], "Z": fp.Z[L], "Y": fp.Y, "gprime": activation_derivative(fp, L)}
    explicit = matrix.xreplace({s: sp.ImmutableMatrix(values[s.name.split("|")[0]])
                                for s in matrix.atoms(sp.MatrixSymbol)}).xreplace({m: net.batch})
    truth = d.closed.delta_equations[L] * general.scale_here           # the reader's δ: scale · ∂E/∂Z
    assert sp.simplify(sp.Matrix(explicit.doit()) - truth) == sp.zeros(*truth.shape)


# --- the shape of every backward product -------------------------------------------------------------------


def test_every_backward_product_has_this_networks_shapes():
    net = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2)
    d, general, p, boxed = parts(net, "matrix")
    rows = {r["equation"].split(" = ")[0]: (r["lhs"], r["rhs"]) for r in algo.backward_dimensions(general, p, boxed, 0)}
    T = r" \times "
    assert rows[r"\delta^{2}"] == (f"(1{T}2)", f"\\left((1{T}2) - (1{T}2)\\right) \\odot (1{T}2)")
    assert rows[r"\delta^{1}"] == (f"(3{T}2)", f"(3{T}1)(1{T}2) \\odot (3{T}2)")
    assert rows[r"\frac{\partial E}{\partial W^{1}}"] == (f"(3{T}2)", f"(3{T}2)(2{T}2)")
    assert rows[r"\frac{\partial E}{\partial W^{2}}"] == (f"(1{T}3)", f"(1{T}2)(2{T}3)")
    assert rows[r"\frac{\partial E}{\partial b^{1}}"] == (f"(3{T}1)", f"(3{T}2)(2{T}1)")
    assert len(rows) == 6                                        # δ², δ¹ and both gradients of both layers


def test_a_backward_product_with_the_wrong_shape_is_refused(monkeypatch):
    """The rows are formed with the network's shapes: δ^l = W^{l+1} δ^{l+1} (no transpose) cannot be formed."""
    net = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2)
    d, general, p, boxed = parts(net, "matrix")
    wrong = delta_module.DeltaRules(output=delta_module.BACKPROP.output,
                                    hidden=lambda W, dl, G: sp.HadamardProduct(W * dl, G),
                                    weight_gradient=delta_module.BACKPROP.weight_gradient,
                                    bias_gradient=delta_module.BACKPROP.bias_gradient)
    monkeypatch.setattr(algo, "BACKPROP", wrong)
    with pytest.raises(sp.ShapeError):
        algo.backward_dimensions(general, p, boxed, 0)


# --- the counts, against running both ways and counting ----------------------------------------------------


class Counter:
    multiplications = 0


class Num:
    """A number whose products are counted."""

    def __init__(self, v):
        self.v = float(v)

    def __mul__(self, other):
        Counter.multiplications += 1
        return Num(self.v * (other.v if isinstance(other, Num) else other))

    __rmul__ = __mul__

    def __add__(self, other):
        return Num(self.v + (other.v if isinstance(other, Num) else other))

    __radd__ = __add__


def total(values):
    out = Num(0.0)
    for v in values:
        out = out + v
    return out


def run_forward(sizes, W, b, X):
    """Z^l, A^l (sigmoid) as lists of Num, counting the products W^l A^{l-1}; the forward pass is shared."""
    L, mm = len(sizes) - 1, len(X[0])
    A = {0: [[Num(v) for v in row] for row in X]}
    Z = {}
    for l in range(1, L + 1):
        Z[l] = [[total(W[l][i][j] * A[l - 1][j][c] for j in range(sizes[l - 1])) + b[l][i] for c in range(mm)]
                for i in range(sizes[l])]
        A[l] = [[Num(1 / (1 + np.exp(-z.v))) for z in row] for row in Z[l]]
    return Z, A


def output_delta(sizes, A, Y, i, c, mm):
    """δ^L_ic for mse with sigmoid: one counted product, (A - Y) times the uncounted g'(Z)/m."""
    a = A[len(sizes) - 1][i][c].v
    return Num(a - Y[i][c]) * (a * (1 - a) / mm)


def deltas_from(sizes, W, A, Y, down_to, mm, row=None):
    """δ^L … δ^{down_to} whole, except δ^{down_to} only row ``row`` when given."""
    L = len(sizes) - 1
    d = {L: [[output_delta(sizes, A, Y, i, c, mm) for c in range(mm)]
             for i in (range(sizes[L]) if not (down_to == L and row is not None) else [row])]}
    for l in range(L - 1, down_to - 1, -1):
        units = [row] if (l == down_to and row is not None) else range(sizes[l])
        d[l] = [[total(W[l + 1][k][i] * d[l + 1][k][c] for k in range(sizes[l + 1])) * (A[l][i][c].v * (1 - A[l][i][c].v))
                 for c in range(mm)] for i in units]
    return d


def backprop(sizes, W, b, X, Y):
    L, mm = len(sizes) - 1, len(X[0])
    Z, A = run_forward(sizes, W, b, X)
    Counter.multiplications = 0
    d = deltas_from(sizes, W, A, Y, 1, mm)
    grads = {}
    for l in range(1, L + 1):
        for i, j in itertools.product(range(sizes[l]), range(sizes[l - 1])):
            grads[("W", l, i, j)] = total(d[l][i][c] * A[l - 1][j][c] for c in range(mm)).v
        for i in range(sizes[l]):
            grads[("b", l, i)] = total(d[l][i][c] for c in range(mm)).v
    return grads, Counter.multiplications


def once_per_parameter(sizes, W, b, X, Y):
    L, mm = len(sizes) - 1, len(X[0])
    Z, A = run_forward(sizes, W, b, X)
    Counter.multiplications = 0
    grads = {}
    for l in range(1, L + 1):
        for i in range(sizes[l]):
            for j in range(sizes[l - 1]):
                di = deltas_from(sizes, W, A, Y, l, mm, row=i)[l][0]
                grads[("W", l, i, j)] = total(di[c] * A[l - 1][j][c] for c in range(mm)).v
            di = deltas_from(sizes, W, A, Y, l, mm, row=i)[l][0]
            grads[("b", l, i)] = total(di).v
    return grads, Counter.multiplications


def error(sizes, W, b, X, Y) -> float:
    _, A = run_forward(sizes, W, b, X)
    L, mm = len(sizes) - 1, len(X[0])
    return sum((A[L][i][c].v - Y[i][c]) ** 2 / 2 for i in range(sizes[L]) for c in range(mm)) / mm


@pytest.mark.parametrize("sizes, batch", [((2, 3, 1), 2), ((2, 2, 2), 3), ((3, 2, 2, 1), 2), ((1, 2, 3, 2), 1)])
def test_the_counts_match_counting_both_ways(sizes, batch):
    rng = np.random.default_rng(1)
    W = {l: rng.normal(size=(sizes[l], sizes[l - 1])).tolist() for l in range(1, len(sizes))}
    b = {l: rng.normal(size=sizes[l]).tolist() for l in range(1, len(sizes))}
    X, Y = rng.normal(size=(sizes[0], batch)).tolist(), rng.uniform(size=(sizes[-1], batch)).tolist()
    counted = algo.costs(sizes, batch)
    Counter.multiplications = 0
    run_forward(sizes, W, b, X)
    assert Counter.multiplications == counted["forward"]
    fast, fast_count = backprop(sizes, W, b, X, Y)
    slow, slow_count = once_per_parameter(sizes, W, b, X, Y)
    assert (fast_count, slow_count) == (counted["backward"], counted["naive"])
    assert len(fast) == counted["parameters"] and fast_count < slow_count
    h = 1e-6                                     # both ways compute the gradient: central differences agree
    for key, value in fast.items():
        table = W if key[0] == "W" else b
        l, idx = key[1], key[2:]
        holder = table[l][idx[0]] if key[0] == "W" else table[l]
        pos = idx[1] if key[0] == "W" else idx[0]
        holder[pos] += h
        up = error(sizes, W, b, X, Y)
        holder[pos] -= 2 * h
        down = error(sizes, W, b, X, Y)
        holder[pos] += h
        assert value == pytest.approx((up - down) / (2 * h), abs=1e-7) and slow[key] == pytest.approx(value, abs=1e-12)


def test_the_gap_grows_with_the_network():
    small, large = algo.costs((2, 3, 1), 2), algo.costs((4, 8, 8, 3), 2)
    assert small["ratio"] < large["ratio"]
    assert small == {"forward": 18, "backward": 32, "naive": 80, "parameters": 13, "ratio": 2.5, "delta": 14}


# --- in the document ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["latex", "markdown"])
def test_the_document_has_the_algorithm_and_explains_the_back(fmt):
    net = Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2)
    text = render(derive(net), fmt=fmt)
    for word in ("backward", "reuse", "efficient", "Update"):
        assert word in text
    assert r"\delta^{1} = \left(\left(W^{2}\right)^{T} \delta^{2}\right) \odot {g^{1}}'\left(Z^{1}\right)" in text
    assert "18 multiplications" in text and "32 multiplications" in text and "80 multiplications" in text
    assert r"\delta^{L} &= \frac{1}{m}" in text                                    # the matrix form's δ^L line


def test_the_dimension_check_writes_a_difference_as_a_difference():
    """The review read δ² = (1/m)(A² − Y) ⊙ g′ checked as "((1 × 4) + (1 × 4))": a sign lost on the way."""
    from symbackprop import Network, derive
    from symbackprop.writeup.document import render
    text = render(derive(Network(sizes=(2, 3, 1), activations="sigmoid", batch=4)), fmt="markdown")
    row = next(line for line in text.splitlines() if r"\delta^{2} =" in line and r"\times" in line)
    assert r"\left((1 \times 4) - (1 \times 4)\right)" in row and "+" not in row.split("|")[2], row


def test_goodfellow_writes_the_backward_pass_as_one_loop_as_algorithm_6_4():
    """Review 6: the book's Algorithm 6.4 is one loop, k = l down to 1: the layer's gradients from g, then g of
    the layer below; the box had the matrix notation's two loops. The notation entry says which (one_loop)."""
    from symbackprop import preset
    net = preset("goodfellow")
    shown = lines(net, "goodfellow")
    below = (r"g^{(k - 1)} = \left(\left(W^{(k)}\right)^{T} g^{(k)}\right) \odot "
             r"{f^{(k - 1)}}'\left(a^{(k - 1)}\right)")
    weight = next(k for k, line in enumerate(shown) if line.startswith(r"\nabla_{W^{(k)}} J ="))
    assert below in shown and weight < shown.index(below)
    d, general, p, boxed = parts(net, "goodfellow")
    words = [s["words"] for s in algo.algorithm(general, p, boxed, net.weight_decay)["steps"]]
    assert "Backward pass: for $k = l$ down to $1$, the gradients of layer $k$ from $g^{(k)}$" in words[2]
    assert not any(w.startswith("Gradients:") for w in words)
    matrix = lines(Network(sizes=(2, 3, 1), activations="sigmoid", loss="mse", batch=2), "matrix")
    assert matrix.index(r"\delta^{l} = \left(\left(W^{l + 1}\right)^{T} \delta^{l + 1}\right) \odot "
                        r"{g^{l}}'\left(Z^{l}\right)") == 3                    # two loops: every δ, then the gradients
