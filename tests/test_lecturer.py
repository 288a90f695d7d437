"""What a lecturer found in the theta, ufldl and goodfellow handouts (a review of 5 December 2026), each as a
test: false sentences, unreadable arithmetic, words about samples where there is one example, jargon."""
import re

import pytest

from symbackprop import derive, preset
from symbackprop.writeup.document import render


@pytest.fixture(scope="module")
def docs():
    out = {}
    for name in ("theta", "ufldl", "goodfellow", "ng", "matrix"):
        d = derive(preset(name))
        out[name] = {fmt: render(d, notation=name, fmt=fmt) for fmt in ("markdown", "latex")}
    return out


def test_the_decay_is_its_number_in_the_worked_arithmetic(docs):
    """Goodfellow's worked lines read "= λ (−0.89…) + …": λ is 0.1 there, and a student could not check the line."""
    md = docs["goodfellow"]["markdown"]
    worked = md[md.index("The chain rule in numbers"):]
    numeric = [line for line in worked.splitlines() if line.startswith("&= ") and re.search(r"\d\.\d", line)]
    assert numeric and not [line for line in numeric if r"\lambda" in line], numeric
    assert any(r"\cdot 0.1" in line for line in numeric)
    assert r"nor the weight decay's $\lambda W$, one product per weight" in md     # the count says what it leaves out


def test_the_seed_section_says_nothing_false_about_this_documents_symbols(docs):
    tex = docs["theta"]["latex"]
    for false in ("this document's $g'$", "this document's $b$", "adds $b$"):
        assert false not in tex, false
    assert r"$\Psi$ is the derivative of the node function, as this document writes it" in tex
    assert "eq:gen" not in docs["ufldl"]["markdown"] and "eq:gen" not in docs["ufldl"]["latex"]
    assert "NumPy matrix route" not in tex


def test_each_equation_says_the_layers_it_holds_for_in_the_readers_numbers(docs):
    """ufldl's a = f(z) holds from layer 2 (layer 1 is the input, with no z); its W^{(l)} run 1 .. L − 1."""
    md = docs["ufldl"]["markdown"]
    assert r"*each unit applies its activation function.* For $l = 2, \dots, L$, unit $i$." in md
    assert r"For $l = 1, \dots, L - 1$, unit $i$, unit $j$ of the layer before." in md
    assert "For every layer" not in md
    assert r"the input is $x_{j}$ (written $a^{(1)}_{j}$ as the input layer's activations)" in md


def test_one_example_is_not_written_about_as_samples(docs):
    md = docs["ufldl"]["markdown"]
    for said in ("in every sample", "(sample 1)", "over all samples", "8 samples", "mean squared error of one"):
        assert said not in md, said
    assert "*the half squared error of one example.*" in md and "$m = 1$ as above" in md
    assert "the 1 path" not in md and "1 paths" not in md
    tex = docs["ufldl"]["latex"]                          # 2-3-1 at m = 1: one path from W^{(1)}_{11} to J
    assert "along the one path from" in tex and "the one path through the network from\n$W^{(1)}_{11}$ to $J$ is solid" in tex


def test_a_scale_factor_is_never_a_line_of_its_own(docs):
    """theta's J broke after 1/m, across a page: 1/m now stays with the sum it scales."""
    tex = docs["theta"]["latex"]
    assert r"J &= \frac{1}{m} \left(\sum" in tex and r"J &= \frac{1}{m} \notag" not in tex


def test_the_per_sample_signal_is_explained_and_the_sizes_look_like_the_books(docs):
    theta = docs["theta"]["markdown"]
    assert "(the gradient of sample $i$'s own error: $J$ is the mean of the samples' errors" in theta
    assert "Here $n^{[l]}$ is the number of units" in docs["ng"]["markdown"]
    assert "Here $n^{(k)}$ is the number of units in layer $k$" in docs["goodfellow"]["markdown"]


def test_headings_and_their_tables_are_kept_together(docs):
    tex = docs["theta"]["latex"]                  # the matrix preset's generic g has no numeric comparison section
    assert r"\newcommand{\keeplines}" in tex
    assert tex.count(r"\keeplines{") >= 4
    assert re.search(r"\\keeplines\{\d+\}\n\\section\{Numeric comparison\}", tex)


def test_the_weight_decay_path_has_its_own_local_derivative(docs):
    """The path straight from the parameter to J (the decay term) was labelled ∂J/∂W, the very partial the paths
    sum to; its local derivative is λW, and the figure says that path is not drawn."""
    md = docs["goodfellow"]["markdown"]
    assert r"&W^{(1)}_{11} \to J: && W^{(1)}_{11} \lambda \\" in md
    assert r"&W^{(1)}_{11} \to J: && \frac{\partial J}{\partial W^{(1)}_{11}}" not in md
    assert "straight to $J$ through the weight-decay term and is not drawn" in docs["goodfellow"]["latex"]


def test_targets_a_sigmoid_can_reach(docs):
    """A target of −0.73 under a sigmoid output can never be reached; the worked numbers draw them in (0, 1)."""
    import numpy as np

    from symbackprop.numeric.arrays import random_data
    for name in ("ufldl", "goodfellow"):                  # mse under a sigmoid output
        md = docs[name]["markdown"]
        targets = [float(v) for v in re.findall(r"\$[Yy]_\{[\d;]+\} = (-?[\d.]+)\$", md)]
        assert targets and all(0 < t < 1 for t in targets), (name, targets)
    from symbackprop import Network
    linear = Network(sizes=(2, 3, 1), activations=("sigmoid", "identity"), loss="mse")
    assert (random_data(linear, 50, np.random.default_rng(0))[1] < 0).any()        # any real, where reachable


def test_the_output_cancellation_is_shown_before_the_box(docs):
    """bce after a sigmoid: the box said only "∂J/∂A and g′ cancel"; the chain-rule section now multiplies the two
    steps out, g′ in A, uncancelled, and that line is proved at every output unit and sample like the others."""
    md = docs["ng"]["markdown"]
    line = (r"\frac{\partial J}{\partial Z^{[L]}_{i;c}} &= \left(1 - A^{[L]}_{i;c}\right) A^{[L]}_{i;c} "
            r"\frac{A^{[L]}_{i;c} - Y_{i;c}}{m \left(1 - A^{[L]}_{i;c}\right) A^{[L]}_{i;c}}")   # g′ times ∂J/∂A, each whole
    assert line in md and md.index(line) < md.index(r"\boxed{dZ^{[L]}_{i;c}")
    assert "Fails on this network" not in md and "Fails on this network" not in docs["theta"]["markdown"]
    assert "the factors of" not in docs["ufldl"]["markdown"]          # mse after sigmoid: nothing cancels


def test_a_wrong_cancellation_would_be_caught():
    """The product line is checked against ∂J/∂Z^L all the way to J: a planted wrong derivative fails it."""
    import dataclasses

    from symbackprop.model.notations import notation
    from symbackprop.symbolic.derive import Step
    from symbackprop.symbolic.general import General
    from symbackprop.symbolic.verify import check_step
    d = derive(preset("ng"))
    general = General(d.chain, notation("ng"))
    eq = next(e for e in general.chain_rule() if e.label == "dZL product")
    assert eq.then is not None           # the display goes on to the cancelled form, (A − Y)/m, checked too
    for wrong in (dataclasses.replace(eq, rhs=eq.rhs * 2), dataclasses.replace(eq, then=eq.then * 2)):
        results = {name: check_step(d, Step(name, truth, claim, assume=assume), cache={}).ok
                   for name, truth, claim, assume in general.check_instances(wrong)}
        planted = [name.endswith(" then") == (wrong.then != eq.then) for name in results]
        assert results and [not ok for ok in results.values()] == planted, results
    results = [check_step(d, Step(name, truth, claim, assume=assume), cache={})
               for name, truth, claim, assume in general.check_instances(eq)]
    assert len(results) == 2 * d.net.batch and all(r.ok for r in results)


def test_the_local_derivative_comes_before_the_upstream_gradient(docs):
    """"h ∂J/∂h (1 − h)" hid the local-derivative-times-upstream structure the text teaches; and relu′ printed as
    SymPy's θ(Z, 0), a weight's letter in theta."""
    md = docs["goodfellow"]["markdown"]
    assert r"&= h^{(1)}_{1} \left(1 - h^{(1)}_{1}\right) \frac{\partial J}{\partial h^{(1)}_{1}} \\" in md
    assert r"h^{(1)}_{1} \frac{\partial J}{\partial h^{(1)}_{1}} \left(1 - h^{(1)}_{1}\right)" not in md
    rows = render(derive(preset("rows")), notation="rows", fmt="markdown")
    assert r"| relu | $\max\left(0, Z\right)$ | $\mathbf{1}_{Z > 0}$ |" in rows
    assert r"&= \mathbf{1}_{Z^{1}_{1;1} > 0} \frac{\partial E}{\partial A^{1}_{1;1}} \\" in rows
    assert r"\theta\left(" not in rows


def test_a_step_over_several_nodes_names_what_one_of_them_feeds_not_all_of_theirs():
    """Review 2: "A feeds every unit of the next layer, Z_{1;1}, Z_{1;2}, Z_{1;3}, Z_{1;4}" ran four samples' terms
    together as if one A fed them all. Each step's terms are now its first node's consumers, and only those."""
    from symbackprop.writeup.explain import Explanation
    from symbackprop.writeup.printing import quantity_of
    d = derive(preset("ng", batch=4, sizes=(2, 3, 2, 1)))
    steps = Explanation(d, "W1[1,1]", "ng").steps
    several = [s for s in steps if s.others]
    assert len(several) >= 3
    for s in several:
        feeds = set(d.chain.consumers[s.node[0]])
        assert set(s.terms) == feeds
        sample = quantity_of(s.node[0].name).sample
        assert all(not feeds & set(d.chain.consumers.get(u, ())) for u in s.others    # another sample's: apart
                   if quantity_of(u.name).sample != sample)
    md = render(d, notation="ng", fmt="markdown")
    assert "A feeds every unit of the next layer, $Z^{[2]}_{1;1}$, $Z^{[2]}_{2;1}$ (for $A^{[1]}_{1;1}$; likewise" in md


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "softplus"])
def test_the_two_are_equal_says_why_and_the_identity_it_cites_holds(activation):
    """Review 2: "The two are equal." followed a direct form in e^{-Z} and a δ form in A(1 − A) with nothing
    between. The document now cites each activation's identity, and the identity is proved here."""
    import sympy as sp

    from symbackprop import notation
    from symbackprop.writeup.document import _identities
    from symbackprop.writeup.printing import Printer
    d = derive(preset("matrix", activations=activation, batch=4))
    found = _identities(d, Printer.for_network(notation("matrix"), d.net))
    assert len(found) == 1
    z, a, rule = d.forward.Z[1][0, 0], d.forward.A[1][0, 0], d.net.rule(1)
    raw = sp.diff(rule.formula(z, 1), z)
    table = d.forward.table_form(rule.textbook_derivative(z, a, 1)).xreplace({a: rule.formula(z, 1)})
    assert sp.simplify(raw - table) == 0
    md = render(d, notation="matrix", fmt="markdown")
    assert "The two are equal: each activation's derivative as direct differentiation finds it is the form" in md


def test_worked_numbers_work_each_signal_once_and_tie_the_local_picture_to_the_table():
    """Review 3: the first-layer chain repeated the output layer's dZ word for word, and the local picture's
    ∂J/∂Z (−0.0090) stood beside the table's dZ (−0.0360) unexplained (dZ = m ∂J/∂Z in Ng's course)."""
    d = derive(preset("ng", batch=4))
    md = render(d, notation="ng", fmt="markdown")
    numbers = md[md.index("Worked numbers"):]
    assert numbers.count(r"dZ^{[2]}_{1;1} &= ") == 1
    assert "beginning from those worked out above" in numbers
    table = float(re.search(r"\| \$dZ\^\{\[1\]\}_\{1;c\}\$ \| \$(-?[\d.]+)\$ \|", numbers)[1])   # sample c = 1's column
    partial = float(re.search(r"\{g\^\{\[1\]\}\}'\\left\(Z\^\{\[1\]\}_\{1;1\}\\right\) = (-?[\d.]+) \\\\\n", numbers)[1])
    local = re.search(r"dZ\^\{\[1\]\}_\{1;1\} &= 4 \\frac\{\\partial J\}\{\\partial Z\^\{\[1\]\}_\{1;1\}\} = (-?[\d.]+)",
                      numbers)
    assert local and float(local[1]) == table
    assert abs(4 * partial - table) <= 1e-9 * abs(table)


def test_a_deep_networks_worked_partial_is_sized_not_printed_for_pages():
    """Review 3: on 2-3-3-2 the direct form was '… (745 symbols …: too long to show)' and the δ form ran to 28
    lines, followed by 'The two are equal' about what the reader never saw. Each form is written for sample 1
    only (the others' terms have its form); past 10 lines the document gives the δ form's first line, sizes the
    rest and points to the worked numbers; a 2-3-1 keeps both forms."""
    from symbackprop import Network
    deep = render(derive(Network(sizes=(4, 8, 8, 3), activations=("relu", "relu", "softmax"), loss="cce",
                                 batch=5)), fmt="markdown")
    worked = deep[deep.index("A worked example"):deep.index("Worked numbers")]
    assert "symbols and operations written out: too long to show" not in worked
    assert "By direct differentiation of $E$ (" not in worked
    # review 5: the 'assemble' step printed those 28 lines (3 PDF pages) just before saying they are too long;
    # review 6: then it was a display of nothing but '(28 lines written out: too long to show)'. It is left out.
    assert "**assemble**" not in worked and "too long to show" not in worked and len(worked.splitlines()) < 150
    assert re.search(r"too long to read with profit: [\d,]+ symbols and operations by direct differentiation", worked)
    assert "The two written-out forms, not printed, are equal" in worked
    assert "written out for sample 1 only" not in worked      # review 8: said of forms it had just declined to print
    # 2-3-3-2: sample 1's terms are 8 lines a form, so they are written, "+ ⋯" for the other three samples
    middle = render(derive(Network(sizes=(2, 3, 3, 2), activations="sigmoid", batch=4)), fmt="markdown")
    worked = middle[middle.index("A worked example"):middle.index("Worked numbers")]
    assert "By direct differentiation of $E$ (" in worked and "**assemble**" in worked
    assert worked.count(r"&\quad + \cdots") == 3 and "each of the other 3 samples adds terms of the same form" in worked
    displays = re.findall(r"\\begin\{aligned\}(.*?)\\end\{aligned\}", worked, flags=re.S)
    assert displays and max(d.count("&") for d in displays) <= 2 * (10 + 1)      # no form over 10 lines (+ ⋯)
    small = render(derive(preset("matrix", batch=4)), fmt="markdown")
    assert "**assemble**" in small                                      # a short partial keeps its step
    assert "By direct differentiation of $E$ (" in small and "too long to read" not in small


def test_the_figure_caption_counts_the_paths_it_draws(docs):
    """Review 4: Goodfellow's caption said 'the 2 paths … are bold (a number on an edge counts the paths)' and
    then 'one of them … is not drawn', with no number on any edge. It counts the drawn paths, says where numbers
    are, and names the decay path apart."""
    tex = docs["goodfellow"]["latex"]
    caption = tex[tex.index(r"\caption{\label{fig:network}The network, layers"):]
    caption = caption[:caption.index("}\n")]
    assert "the one path through the network from" in caption and "is solid" in caption
    assert "one more runs from $W^{(1)}_{11}$ straight to $J$ through the weight-decay term" in caption
    assert "a number on an edge" not in caption                    # 2-3-1 at m = 1: every edge on one path


def test_a_tagged_boxed_equation_takes_no_equation_number(docs):
    """Review 4: \\tag*{seed 001's (42)} in a numbered equation gave hyperref the same anchor three times, so a
    link went to the wrong equation: a tagged equation is unnumbered (equation*), its tag the source's number."""
    tex = docs["theta"]["latex"]
    tagged = re.findall(r"\\begin\{(equation\*?)\}\n\\boxed\{[^\n]*\\tag\*", tex)
    assert tagged and set(tagged) == {"equation*"}


def test_a_relu_document_never_writes_an_undefined_heaviside():
    """Review 6: 'H(Z¹₁;₁) = 1_{Z¹₁;₁>0}' in the rows handout: SymPy's Heaviside (its own value 1/2 at 0) against
    the table's indicator. The identity is now taken with the network's stated relu′(0), where the two are one."""
    for name in ("rows", "matrix"):
        d = derive(preset(name, activations=("relu", "softmax"), loss="cce", sizes=(2, 3, 3)))
        for fmt in ("markdown", "latex"):
            text = render(d, notation=name, fmt=fmt)
            assert r"H\left(" not in text and r"\mathbf{1}_{Z^{1}_{" in text, (name, fmt)


def test_a_sample_s_paths_are_shown_whole():
    """Review 6: rows listed 'the first 8' of 45 paths, 8 of sample 1's 9. A sample's paths are shown whole when
    they are at most twice the usual 8, and the text says whose they are."""
    md = render(derive(preset("rows")), notation="rows", fmt="markdown")
    assert "(45 in all: 9 through the network in each of the $m = 5$ samples, those of sample 1 shown)" in md
    block = md[md.index("those of sample 1 shown"):]
    block = block[block.index("$$"):]
    block = block[:block.index("$$", 2)]
    assert block.count(r"\to E:") == 9 and "_{2;" not in block and "_{1;" in block    # sample 1 alone (rows: c;i)


def test_the_softmax_row_of_the_table_uses_the_tables_letters():
    """Review 5 and 6: the softmax row read e^{z_i}/Σ e^{z_k} and ∂a_i/∂z_k in lower case, letters the document
    never defines, under a header of g(Z) and A = g(Z)."""
    md = render(derive(preset("rows")), notation="rows", fmt="markdown")
    assert (r"| $\frac{e^{Z_{i}}}{\sum_{k=1}^{3} e^{Z_{k}}}$ | $\frac{\partial A_{i}}{\partial Z_{k}} = "
            r"A_{i} \left(I_{ik} - A_{k}\right)$ |") in md
    assert "{z}_{i}" not in md and "e^{z_" not in md


def test_an_instance_is_a_point_even_where_the_display_has_two_forms(docs):
    """Review 6: the output product line, checked in its two forms, counted 8 instances in ng's Appendix A where
    there are 4 (1 output unit × m = 4 samples); §1's total counted them too. (Planted: counting claims fails.)"""
    md = docs["ng"]["markdown"]
    rows = [line.split(" | ") for line in md.splitlines() if line.startswith("| $") and "| holds |" in line]
    counts = {(r[0], r[1]): int(r[4]) for r in rows}
    m = int(re.search(r"a batch of \$m = (\d+)\$", md)[1])
    assert counts[(r"| $\frac{\partial J}{\partial Z^{[L]}_{i;c}}$", "the chain rule")] == 1 * m     # one output unit
    total = int(re.search(r"\((\d+) instances\)", md)[1])
    assert total == sum(counts.values())


def test_an_appendix_table_never_leaves_a_row_alone_on_a_page(docs):
    """Review 5: theta's Appendix B table broke after its first row. A long table may break, but not after its
    first two rows nor before its last (\\\\* forbids a page break after a row)."""
    tex = docs["ng"]["latex"]
    table = tex[tex.index(r"\text{equation} & section"):]
    table = table[table.index(r"\endhead"):table.index(r"\bottomrule")]
    ends = [line.rstrip()[-3:] for line in table.splitlines() if "& holds" in line]
    assert len(ends) > 4 and ends[:2] == [r"\\*"] * 2 and ends[-2] == r"\\*"
    assert all(e.endswith("\\\\") for e in ends[2:-2])             # elsewhere a page may break
