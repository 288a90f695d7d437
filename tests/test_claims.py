"""Reading claims: the accepted syntax, one meaning however it is written, and hostile text refused unevaluated."""
import builtins
import pathlib
import re

import pytest
import sympy as sp

from symbackprop import notation
from symbackprop.claims.parse import MAX_DEPTH, MAX_LENGTH, ClaimSyntaxError, split_claims
from symbackprop.claims.reading import ShapeMismatch, read
from symbackprop.symbolic.general import A, W, Y, Z, b, delta, gprime, m, n
from symbackprop.writeup.printing import Printer

MATRIX, THETA, UFLDL = (notation(name) for name in ("matrix", "theta", "ufldl"))
i, j, k, c = sp.symbols("i j k c", integer=True, positive=True)
l, L = sp.symbols("l L", integer=True, positive=True)


def sides(text, names=MATRIX):
    claim = read(text, names)
    return claim.lhs, claim.rhs


def same(a, b) -> bool:
    """Equal once the sums are written out (for sizes 3 and batch 2): where a factor sits is no matter."""
    sizes = {n[2]: 3, n[1]: 3, m: 2}
    return sp.expand(a.xreplace(sizes).doit() - b.xreplace(sizes).doit()) == 0


# --- one meaning, however it is written -----------------------------------------------------------------------

HIDDEN_DELTA = (delta[1, i, c], gprime(1, Z[1, i, c]) * sp.Sum(W[2, k, i] * delta[2, k, c], (k, 1, n[2])))


@pytest.mark.parametrize("text", [
    "delta1 = (W2.T @ delta2) * g1'(Z1)",                                   # plain text, NumPy style
    "delta1 = (W2^T delta2) .* g1'(Z1)",                                    # juxtaposition, Octave's .*
    r"\delta^{1} = \left(W^{2}\right)^T \delta^{2} \odot {g^{1}}'\left(Z^{1}\right)",   # LaTeX
    r"\delta^1 = (W^2)^\top \delta^2 \circ g^1'(Z^1)",
    "δ¹ = (W²)ᵀ δ² ⊙ g¹′(Z¹)",                                              # Unicode
    r"\delta^1_{ic} = \sum_{k=1}^{n^2} W^2_{ki} \delta^2_{kc} {g^1}'(Z^1_{ic})",   # component form, LaTeX
    "delta1[i,c] = sum_k W2[k,i] * delta2[k,c] * g1'(Z1[i,c])",             # component form, plain
    "delta1[i,c] = W2[k,i] * delta2[k,c] * g1'(Z1[i,c])",                   # k repeated: summed
])
def test_every_spelling_of_the_hidden_delta_reads_the_same(text):
    lhs, rhs = sides(text)
    assert lhs == HIDDEN_DELTA[0]
    assert same(rhs, HIDDEN_DELTA[1]), rhs


@pytest.mark.parametrize("text, lhs, rhs", [
    ("dE/dW1[2,1] = sum_c delta1[2,c] * X[1,c]", W[1, 2, 1], sp.Sum(A[0, 1, c] * delta[1, 2, c], (c, 1, m))),
    ("dE/db2 = delta2 @ ones", b[2, i], sp.Sum(delta[2, i, k], (k, 1, m))),
    (r"\frac{\partial E}{\partial W^l_{ij}} = \sum_{c=1}^m \delta^l_{ic} A^{l-1}_{jc}", W[l, i, j],
     sp.Sum(A[l - 1, j, c] * delta[l, i, c], (c, 1, m))),
    ("∂E/∂W¹₂₁ = A⁰₁₁·δ¹₂₁", W[1, 2, 1], A[0, 1, 1] * delta[1, 2, 1]),
])
def test_partials_component_and_matrix(text, lhs, rhs):
    got_lhs, got_rhs = sides(text)
    assert got_lhs.args[1] == lhs and got_rhs == rhs


@pytest.mark.parametrize("text, names, plain", [
    (r"\boxed{\delta^{(L)}_{p;i} = h^{(L)}\left(z^{(L)}_{p;i}\right) - y_{p;i}} \label{eq:delta-L} "
     r"\tag*{(42) in seed 001}", THETA, "delta(L)[p;i] = a(L)[p;i] - y[p;i]"),     # as the write-ups print it
    ("dJ/dθ(1)[2,1] = 1/m * sum_i delta(2)[2;i] * x[1;i]", THETA,                  # Unicode θ after a plain d
     "dJ/dtheta(1)[2,1] = 1/m * sum_i delta(2)[2;i] * x[1;i]"),
    (r"\delta^2 = \left[A^2 - Y\right] \odot {g^2}'(Z^2) \cdot m^{-1}", MATRIX, "delta2 = (A2 - Y) * g2'(Z2) / m"),
    (r"\[ \delta^2 = (A^2 - Y) \odot {g^2}'(Z^2) / m \]", MATRIX, "delta2 = (A2 - Y) * g2'(Z2) / m"),
])
def test_more_spellings_read_as_their_plain_form(text, names, plain):
    got, want = read(text, names), read(plain, names)
    assert got.lhs == want.lhs and same(got.rhs, want.rhs), (got.rhs, want.rhs)


def test_star_is_entrywise_where_shapes_agree_and_a_product_where_they_conform():
    _, entrywise = sides("delta2 = (A2 - Y) * g2'(Z2) / m")
    assert entrywise == (A[2, i, c] - Y[i, c]) * gprime(2, Z[2, i, c]) / m
    _, product = sides("dE/dW2 = delta2 * A1.T")
    assert product == sp.Sum(A[1, j, k] * delta[2, i, k], (k, 1, m))


def test_the_reader_numbers_layers_from_1_in_theta_and_ufldl():
    """θ^(l) keeps our weight layer; z^(l), δ^(l) are ours plus one; L is the output layer (the seeds' L)."""
    lhs, rhs = sides(r"\delta^{(L)}_{p;i} = h^{(L)}\left(z^{(L)}_{p;i}\right) - y_{p;i}", THETA)
    p, s = sp.symbols("p i", integer=True, positive=True)
    assert lhs == delta[L - 1, p, s] and rhs == A[L - 1, p, s] - Y[p, s]
    lhs, rhs = sides(r"\frac{\partial J}{\partial \theta^{(l)}_{p,0}} = \frac{1}{m} \sum_{i=1}^m \delta^{(l+1)}_p",
                     THETA)
    assert lhs.args[1] == b[l, p] and rhs == sp.Sum(delta[l, p, s], (s, 1, m)) / m
    claim = read(r"\varepsilon^{(l)}_i = \varepsilon^{(l+1)}_q W^{(l)}_{qi} \sigma'(z^{(l)}_i)", UFLDL)
    assert "summed over q" in claim.notes[0]


def test_theta_refuses_the_whole_theta_matrix_in_a_product():
    """Seed 001's warning: θ^(l) holds the bias in column 0; (48) as printed would use it."""
    with pytest.raises(ClaimSyntaxError, match=r"bias column 0.*θ\^\(l\)_\{:,1:\}"):
        read(r"\delta^l = \left(\theta^{(l)T} \delta^{l+1} \right) .* \Psi^l(z^l)", THETA)
    read(r"\delta^{(l)} = ((\theta^{(l)}_{:,1:})^T \delta^{(l+1)}) .* \Psi^{(l)}(z^{(l)})", THETA)


def test_mismatched_shapes_are_a_mistake_of_the_claim_not_of_its_syntax():
    with pytest.raises(ShapeMismatch, match=r"\(W2 @ delta2\): W2 is n²×n¹ and delta2 is n²×m; as a matrix product "
                                            r"the columns of the first \(n¹\) must be the rows of the second \(n²\)"):
        read("delta1 = (W2 @ delta2) * g1'(Z1)", MATRIX)
    with pytest.raises(ShapeMismatch, match="the right side is its transpose"):
        read("dE/dW2 = A1 @ delta2.T", MATRIX)


def test_the_reading_is_printed_back_in_the_notation():
    claim = read("delta1 = (W2.T @ delta2) * g1'(Z1)", MATRIX)
    assert Printer(MATRIX).latex(claim.rhs) == (r"{g^{1}}'\left(Z^{1}_{i;c}\right) \sum_{k=1}^{n^{2}} W^{2}_{ki} "
                                                r"\delta^{2}_{k;c}")


# --- syntax errors point at the column and say what was expected ---------------------------------------------------

@pytest.mark.parametrize("text, column, expected", [
    ("delta2 = (A2 - Y * g2'(Z2)", 27, "expected ')' to close '('"),
    ("delta2 = A2 +", 14, "expected a quantity, a number or '('"),
    ("delta2 = Q2 - Y", 10, "unknown name in the matrix notation; known: "),
    ("delta2 = A2 ? Y", 13, "unexpected character '?'"),
    (r"delta2 = \input{x}", 10, r"unknown LaTeX command \input"),
    ("delta2 = W2[1] * Y", 14, "W takes 2 indices"),
    ("delta2 (A2 - Y)", 16, "a claim is an equation: expected '='"),
    ("delta2 = A2 - Y = Z2", 19, "one '=' per claim"),
    ("A2 = delta2", 1, "the left side must be an error signal"),
    ("delta2 = A2^0.5", 13, "an exponent is a whole number from -10 to 10, or T"),
    ("delta2 = g'(A2 + Y)", 10, "say which layer's activation"),
])
def test_a_syntax_error_names_its_column(text, column, expected):
    with pytest.raises(ClaimSyntaxError) as caught:
        read(text, MATRIX)
    assert caught.value.column == column and expected in str(caught.value), str(caught.value)
    assert "\n" not in str(caught.value)


# --- hostile text is refused, never evaluated ------------------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('touch {canary}')",
    "delta2 = __import__('os').system('touch {canary}')",
    "delta2 = A2.__class__.__bases__[0].__subclasses__()",
    "delta2 = (lambda: __import__('os').system('touch {canary}'))()",
    "delta2 = eval('1')",
    "delta2 = exec(\"open('{canary}', 'w')\")",
    "delta2 = A2; import os",
    "delta2 = A2 \n import os",
    "delta2 = `touch {canary}`",
    r"delta2 = \input{/etc/passwd}",
    r"delta2 = \write18{touch {canary}}",
    "delta2 = " + "(" * 5000 + "A2" + ")" * 5000,
    "delta2 = " + "(" * (MAX_DEPTH + 1) + "A2" + ")" * (MAX_DEPTH + 1),
    "delta2 = " + " + ".join(["A2"] * 1000),
    "delta2 = " + "\\frac{" * 100 + "1",
    "delta2 = A2^1000000",                     # an exponent that would exhaust memory
    "delta2 = 10^100000000",
    "delta2 = 9^9^9",
    "delta2 = " + "-" * 1900 + "A2",           # flat, but deep for a recursive parser
    "delta2 = " + "A2 " * 600,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_a_syntax_error_and_nothing_runs(text, tmp_path, monkeypatch):
    canary = tmp_path / "canary"

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached eval, exec or compile")

    with monkeypatch.context() as patched:              # restored before pytest needs compile again
        for name in ("eval", "exec", "compile"):
            patched.setattr(builtins, name, refuse)
        try:
            read(text.replace("{canary}", str(canary)), MATRIX)
            outcome = None
        except Exception as error:                      # noqa: BLE001 - judged below, outside the patch
            outcome = error
    assert isinstance(outcome, ClaimSyntaxError), repr(outcome)
    assert not canary.exists()
    assert "\n" not in str(outcome) and len(str(outcome)) < 400


def test_limits_are_stated_in_the_error():
    with pytest.raises(ClaimSyntaxError, match=f"at most {MAX_LENGTH} characters"):
        read("delta2 = " + "A2 + " * 1000 + "Y", MATRIX)
    with pytest.raises(ClaimSyntaxError, match=f"nested too deeply \\(at most {MAX_DEPTH}"):
        read("delta2 = " + "(" * 50 + "A2" + ")" * 50, MATRIX)


@pytest.mark.parametrize("module", ["claims/parse.py", "claims/reading.py"])
def test_the_reading_modules_never_call_eval(module):
    """Not even SymPy's sympify or parse_expr, which evaluate strings as Python."""
    source = (pathlib.Path(__file__).resolve().parents[1] / "symbackprop" / module).read_text()
    assert not re.search(r"(?<![\w.])(eval|exec|compile)\(|sympify|parse_expr|\bS\(", source)


# --- files of claims ------------------------------------------------------------------------------------------------

def test_a_file_is_split_into_claims_in_order():
    text = "\n".join([
        "# my derivation",
        "delta2 = (A2 - Y) * g2'(Z2) / m",
        "",
        r"\begin{align}",
        r"\frac{\partial J}{\partial W^{(l)}_{ij}} &= a_j^{(l)}\epsilon_i^{(l+1)} \label{eq:w}\\",
        r"&= \epsilon_i^{(l+1)} a_j^{(l)} \nonumber \\",
        r"\epsilon_i^{(L)} & = (a^{(L)}_i - y_i)\sigma'(z^{(L)}_i)",
        r"\end{align}",
        "% a comment",
        "$$\\delta^l = x$$",
        "\\[",
        "\\delta^L = y",
        "\\]",
    ])
    claims = split_claims(text)
    assert [line for line, _ in claims] == [2, 5, 6, 7, 10, 12]
    assert claims[2][1].startswith(r"\frac{\partial J}{\partial W^{(l)}_{ij}} ") and claims[2][1].endswith(
        r"= \epsilon_i^{(l+1)} a_j^{(l)} \nonumber")
    assert claims[4][1] == r"\delta^l = x"
