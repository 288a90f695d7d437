"""explain(): the chain-rule steps of one partial, from the same derivation that gives the answer."""
import re

import pytest
import sympy as sp

from symbackprop import Network, SpecError, derive
from symbackprop.symbolic.derive import Step
from symbackprop.symbolic.direct import adjoint_symbol
from symbackprop.symbolic.verify import PROVED, check_step
from symbackprop.writeup.explain import Explanation, explain

NETWORKS = [
    Network(sizes=(2, 2, 1), activations="generic", batch=2, weight_decay="lam"),
    Network(sizes=(2, 3, 2, 1), activations="sigmoid", batch=1),
    Network(sizes=(2, 2, 3), activations=("tanh", "softmax"), loss="cce", batch=1),
]


def proved(d, a, b):
    return check_step(d, Step("same", a, b)).status == PROVED


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: "-".join(map(str, n.sizes)))
def test_the_assembled_steps_and_the_paths_equal_the_partial(net):
    d = derive(net)
    for name in ("W1[1,2]", "b1[2]", f"W{net.depth}[1,1]"):       # the longest chain, a bias, the output layer
        x = explain(d, name)
        assert proved(d, d.partial(name), x.result), name
        assert proved(d, x.result, sp.Add(*[p.product for p in x.paths])), name


@pytest.mark.parametrize("net", NETWORKS, ids=lambda n: "-".join(map(str, n.sizes)))
def test_each_row_is_one_true_equation(net):
    """lhs = chain form = value: the chain form with each edge ∂u/∂v evaluated is the value."""
    d = derive(net)
    x = explain(d, "W1[1,2]")
    for step in x.steps[:-2]:
        for row in step.rows:
            if len(row) == 3:
                edges = {e: (d.edges[e][3] if e in d.edges else d.chain.edge(*_ends(e)))
                         for e in row[1].free_symbols if e.name.count("_d") == 1 and not e.name.startswith("dE_d")}
                assert proved(d, row[1].xreplace(edges), row[2]), row


def _ends(e):
    """The two nodes of an edge symbol d<u>_d<v>."""
    u, v = e.name[1:].split("_d", 1)
    return sp.Symbol(u, real=True), sp.Symbol(v, real=True)


def test_a_wrong_step_makes_the_result_disagree():
    """The test above can fail: double the loss derivative in one step and the result is no longer the partial."""
    class Doubled(Explanation):
        def local_value(self, u):
            value = super().local_value(u)
            return 2 * value if u.name.startswith("A2") else value

    d = derive(NETWORKS[1])
    assert not proved(d, d.partial("W1[1,1]"), Doubled(d, "W1[1,1]").result)


def test_paths_of_a_first_layer_weight():
    d = derive(Network(sizes=(2, 3, 2, 1), batch=2))
    x = explain(d, "W1[3,2]")
    assert len(x.paths) == 2 * 2 * 1                  # per sample: through each unit of layer 2
    first = x.paths[0]
    assert [s.name for s in first.nodes] == ["W1_3_2", "Z1_3_1", "A1_3_1", "Z2_1_1", "A2_1_1", "Z3_1_1", "A3_1_1"]
    assert first.factors[-1] == adjoint_symbol(sp.Symbol("A3_1_1", real=True))


def test_weight_decay_is_a_path_of_its_own():
    d = derive(NETWORKS[0])
    x = explain(d, "W2[1,1]")
    direct = [p for p in x.paths if len(p.nodes) == 1]
    assert len(direct) == 1 and direct[0].product == sp.Symbol("lam", nonnegative=True) * d.symbol("W2[1,1]")


def test_text_latex_and_markdown():
    d = derive(Network(sizes=(2, 2, 1), batch=1))
    x = explain(d, "W1[2,1]", notation="ufldl")
    text = x.text()
    assert text.splitlines()[0].startswith("∂J/∂W⁽¹⁾₂₁ (W1[2,1])")
    assert "   ∂J/∂z⁽²⁾₂ = ∂a⁽²⁾₂/∂z⁽²⁾₂·∂J/∂a⁽²⁾₂ = a⁽²⁾₂·∂J/∂a⁽²⁾₂·(1 - a⁽²⁾₂)" in text
    assert r"\begin{enumerate}" in x.latex() and x._repr_latex_().startswith("$$")
    theta = explain(derive(Network(sizes=(2, 2, 1), batch=1)), "W1[2,1]", notation="theta").text()
    assert "   ∂J/∂z⁽²⁾₂ = ∂h⁽²⁾(z⁽²⁾₂)/∂z⁽²⁾₂·∂J/∂h⁽²⁾(z⁽²⁾₂) = h⁽²⁾(z⁽²⁾₂)·∂J/∂h⁽²⁾(z⁽²⁾₂)·(1 - h⁽²⁾(z⁽²⁾₂))" in theta
    assert "\\" not in theta and "\\ensuremath" not in x.markdown()
    assert x._repr_markdown_() == x.markdown() and "$$" in x.markdown()


def test_an_unknown_parameter_lists_the_valid_names():
    with pytest.raises(SpecError, match=r"unknown parameter 'W3\[1,1\]'; this network has W1\[i,j\] "
                                        r"\(i 1..2, j 1..2\), b1\[i\] \(i 1..2\), W2\[1,j\] \(j 1..2\), b2\[1\]"):
        explain(derive(Network(sizes=(2, 2, 1))), "W3[1,1]")
    with pytest.raises(SpecError, match="unknown notation 'greek'; allowed: matrix, theta, ufldl"):
        explain(derive(Network(sizes=(2, 2, 1))), "W1[1,1]", notation="greek")


# --- cost: what is shown is built, not every path ------------------------------------------------------------------

def test_paths_are_counted_without_being_built_and_only_the_shown_ones_are_built():
    from symbackprop.writeup.explain import MAX_PATHS
    d = derive(Network(sizes=(2, 3, 3, 1), activations="sigmoid", loss="mse", batch=2))
    x = explain(d, "W1[2,1]")
    assert x.path_count == len(x.paths) == 6 and x.shown_paths == x.paths
    wide = explain(derive(Network(sizes=(1, 10, 10, 10, 10, 10, 10, 1), activations="sigmoid", loss="mse", batch=1)),
                   "W1[1,1]")
    assert wide.path_count == 10 ** 5 and len(wide.shown_paths) == MAX_PATHS
    assert "paths" not in wide.__dict__                       # the 100,000 were never built
    text = wide.text()
    assert "paths: 100000 from W¹₁₁ to E (first 64 shown)" in text
    assert text.splitlines()[-1] == ("result: ∂E/∂W¹₁₁ = … (2,099,999 symbols and operations written out: too long to "
                                     "show; it equals the δ form above)")
    assert "too long to show" in wide.latex() and len(wide.latex()) < 10 ** 6


def test_tree_size_counts_a_shared_subexpression_each_time_it_is_written():
    from symbackprop.writeup.explain import tree_size
    x, y = sp.symbols("x y")
    shared = x * (y + 2)
    assert tree_size(shared + sp.exp(shared)) == sum(1 for _ in sp.preorder_traversal(shared + sp.exp(shared)))


def test_a_document_sums_the_paths_up_to_a_bound_and_writes_a_long_partial_by_its_size(monkeypatch):
    from symbackprop import render
    from symbackprop.writeup import document
    monkeypatch.setattr(document, "MAX_SUMMED_PATHS", 1)
    monkeypatch.setattr(document, "DOC_SIZE", 10)
    text = render(derive(Network(sizes=(1, 2, 2, 1), activations="sigmoid", loss="mse", batch=1)), fmt="markdown",
                  edition="teacher")            # the teacher edition says how far the paths were summed
    assert "equals the partial assembled from the steps: not checked" in text and "2 paths: summed up to 1" in text
    # the assembled partial, sized in every form, is left out as a step and sized in words (review 6)
    assert "**assemble**" not in text and re.search(r"too long to read with profit: [\d,]+ symbols and operations", text)


SAMPLED = [Network(sizes=(2, 3, 1), activations="sigmoid", batch=4, weight_decay="lam"),
           Network(sizes=(2, 2, 3), activations=("relu", "softmax"), loss="cce", batch=3)]


def in_sample(expr: sp.Expr, c: int) -> sp.Expr:
    """``expr`` with every quantity of sample 1 renamed to sample c's (Z1_2_1 -> Z1_2_c, X_1_1 -> X_1_c)."""
    from symbackprop.writeup.printing import quantity_of
    return expr.xreplace({s: sp.Symbol(re.sub(r"_1$", f"_{c}", s.name), **s.assumptions0)
                          for s in expr.free_symbols if (q := quantity_of(s.name)) and q.sample == 1})


@pytest.mark.parametrize("net", SAMPLED, ids=lambda n: "-".join(map(str, n.sizes)))
def test_sample_ones_terms_with_their_copies_in_the_other_samples_are_the_whole_partial(net):
    """A document writes the assembled and the direct partial for sample 1 only, "+ ⋯" for the other samples'
    terms "of the same form": true only if sample 1's terms, renamed into each sample and summed, are the
    whole partial (the weight-decay term, of no sample, once)."""
    from symbackprop.writeup.explain import first_sample_terms
    d = derive(net)
    for name in ("W1[1,2]", "b2[1]"):
        for whole in (d.partial(name), explain(d, name).result):
            part, left_out = first_sample_terms(whole)
            assert left_out == net.batch - 1
            decay = sp.Add(*[t for t in sp.Add.make_args(part) if not ({"X", "Y", "Z", "A"} & {
                s.name[0] for s in t.free_symbols})])
            per_sample = part - decay
            assert proved(d, whole, decay + sp.Add(*[in_sample(per_sample, c) for c in range(1, net.batch + 1)]))
    # planted: sample 1's terms with one of them dropped, copied into every sample, are not the whole
    whole = d.partial("W1[1,2]")
    part, _ = first_sample_terms(whole)
    dropped = sp.Add(*sp.Add.make_args(part)[1:])
    assert not proved(d, whole, sp.Add(*[in_sample(dropped, c) for c in range(1, net.batch + 1)]))


def test_a_sum_that_mixes_samples_in_one_term_is_written_whole():
    from symbackprop.writeup.explain import first_sample_terms
    a, b = sp.symbols("Z1_1_1 Z1_1_2")
    assert first_sample_terms(a * b + a) == (a * b + a, 0)
    assert first_sample_terms(a + b) == (a, 1)
