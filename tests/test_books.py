"""The textbooks' notations (nielsen, ng) as entries: each writes a document that compiles with every printed
equation checked, and check reads the book's forms; what the entries add is data, not a branch on a name."""
import os
import shutil
import subprocess

import pytest
from helpers import require_latex

from symbackprop import Network, SpecError, check, derive, notation, preset
from symbackprop.writeup.document import write
from symbackprop.writeup.pdf import pdf_text

SCRIPT = shutil.which("symbackprop")
OVERFULL_LIMIT = 10.0
BOOKS = {"nielsen": ("∂C", "δ", "σ", "w"), "ng": ("∂J", "dZ", "W[", "g["), "goodfellow": ("∂J", "h(", "a(", "f("),
         "bishop": ("∂E", "δ", "a(", "z(")}


@pytest.fixture(scope="module")
def engine():
    return require_latex()


@pytest.mark.parametrize("net", [preset("nielsen"), preset("ng"), preset("goodfellow"), preset("bishop"),
                                 Network(sizes=(2, 3, 3, 1), activations="tanh", loss="mse", batch=2)],
                         ids=["nielsen-preset", "ng-preset", "goodfellow-preset", "bishop-preset", "tanh-deep"])
def test_each_book_writes_a_document_that_compiles_and_holds(engine, tmp_path, net):
    out = write(derive(net), tmp_path, notations=tuple(BOOKS), edition="teacher")   # every check in the text
    assert out.problems == [] and out.ok, out.problems
    for pdf, log in out.logs.items():
        assert log.errors == () and log.undefined == (), (pdf.name, log)
        assert not [o for o in log.overfull if o[0] > OVERFULL_LIMIT], pdf.name
    for name, glyphs in BOOKS.items():
        text = pdf_text(tmp_path / f"derivation-{name}.pdf")
        assert "Checked on this network: all" in text and "Fails on this network" not in text, name
        for glyph in glyphs:
            assert glyph in text.replace("[l]", "[").replace(" ", ""), (name, glyph)


def test_ng_dz_is_each_examples_gradient_and_nielsens_c_one_examples_cost():
    assert notation("ng").per_example_signal and not notation("matrix").per_example_signal
    d = derive(preset("ng"))                                  # m = 2: dZ = m ∂J/∂Z, the 1/m in dW
    assert check(d, r"dZ^{[2]} = A^{[2]} - Y", "ng").status == "proved"
    assert check(d, r"\frac{\partial J}{\partial Z^{[2]}} = \frac{1}{m} (A^{[2]} - Y)", "ng").status == "proved"
    assert check(d, r"\frac{\partial J}{\partial Z^{[2]}} = A^{[2]} - Y", "ng").status == "wrong"
    # Nielsen's C is C_x: at batch 2 ∂C/∂b^l_j = δ^l_j is checked on one example, never called wrong
    d2 = derive(preset("nielsen", batch=2))
    verdict = check(d2, r"\frac{\partial C}{\partial b^l_j} = \delta^l_j", "nielsen")
    assert verdict.status == "proved" and any("one example" in n for n in verdict.notes), verdict.text()
    assert check(d2, r"\frac{\partial C}{\partial b^l_j} = 2\delta^l_j", "nielsen").status == "wrong"


def test_the_matrix_notation_reads_ngs_names_too():
    d = derive(Network(sizes=(2, 3, 1), activations="generic", loss="mse", batch=2))
    assert check(d, r"dW^{[l]} = dZ^{[l]} A^{[l-1]T}").status == "proved"          # matrix: dZ = δ, 1/m inside
    assert check(d, r"dW^{[l]} = \frac{1}{m} dZ^{[l]} A^{[l-1]T}").status == "wrong"


def test_goodfellows_running_gradient_is_what_the_left_sides_quantity_feeds():
    d = derive(preset("goodfellow", sizes=(2, 3, 3, 1)))
    # g on the right of ∇_{a^{(k)}} J is ∇_{h^{(k)}} J; of ∇_{W^{(k)}} J, ∇_{h^{(k-1)}} J, it is ∇_{a^{(k)}} J
    same = check(d, r"\nabla_{a^{(k)}} J = \nabla_{h^{(k)}} J \odot f'(a^{(k)})", "goodfellow")
    assert same.status == "proved"
    assert check(d, r"g \leftarrow \nabla_{a^{(k)}} J = g \odot f'(a^{(k)})", "goodfellow").read_as == same.read_as
    with pytest.raises(SpecError, match="says what it becomes"):
        check(d, r"g \leftarrow g \odot f'(a^{(k)})", "goodfellow")        # what g becomes is not said
    with pytest.raises(SpecError, match="running gradient"):
        check(d, r"\nabla_{W^{(k)}_{ij}} J = g", "goodfellow")              # a component: no quantity it feeds
    # ∇_W Ω = W (Ω = ½ Σ‖W‖²), ∇_b Ω = 0: the weight decay, which a loss L of one example leaves out
    assert check(d, r"\nabla_{W^{(k)}} L = g h^{(k-1)T}", "goodfellow").status == "proved"
    assert check(d, r"\nabla_{W^{(k)}} J = g h^{(k-1)T}", "goodfellow").status == "wrong"


def test_goodfellows_document_counts_layers_with_k_and_calls_the_depth_l():
    """Algorithms 6.3 and 6.4 run "for k = 1, ..., l" with ŷ = h^{(l)}: the document and check say the same."""
    from symbackprop.writeup.document import render
    d = derive(preset("goodfellow", sizes=(2, 3, 3, 1)))
    text = render(d, notation="goodfellow", fmt="markdown")
    assert "the output layer is $l = 3$" in text
    assert "Forward pass: for $k = 1, \\dots, l$" in text and "for $l = " not in text
    assert "^{(k - 1)}" in text and "^{(k + 1)}" in text and "^{(l)}" in text     # layers about k; the output
    assert "(L)" not in text and "L - 1" not in text                # no second letter for the depth
    # in a claim, l is the output layer and k any layer, as the book writes them
    assert check(d, r"\nabla_{h^{(l)}} J = h^{(l)} - y", "goodfellow").status == "proved"
    assert check(d, r"\nabla_{h^{(l)}} J = h^{(l - 1)} - y", "goodfellow").status == "wrong"
    assert check(d, r"\nabla_{a^{(l)}} J = \nabla_{h^{(l)}} J \odot f'(a^{(l)})", "goodfellow").status == "proved"
    assert check(d, r"\nabla_{W^{(l)}} J = \nabla_{a^{(l)}} J h^{(l-1)T} + \lambda W^{(l)}",
                 "goodfellow").status == "proved"
    assert check(d, r"\nabla_{W^{(l)}} J = \nabla_{a^{(l)}} J h^{(l)T} + \lambda W^{(l)}",
                 "goodfellow").status == "wrong"


def test_the_command_line_checks_a_books_file(tmp_path):
    """Ng's C1W4 block as a file, with the 1/m forgotten in one line: exit 1, that line diagnosed; a line
    that cannot be read is one line on stderr, exit 2."""
    claims = tmp_path / "ng.txt"
    claims.write_text("dZ^{[l]} = dA^{[l]} * g'^{[l]}(Z^{[l]})\n"
                      "dW^{[l]} = dZ^{[l]} A^{[l-1]T}\n"
                      "db^{[l]} = \\frac{1}{m} np.sum(dZ^{[l]}, axis=1, keepdims=True)\n"
                      "dA^{[l-1]} = W^{[l]T} dZ^{[l]}\n", encoding="utf-8")
    out = subprocess.run([SCRIPT, "check", "--notation", "ng", "--file", str(claims)], capture_output=True,
                         text=True, timeout=300, env=os.environ)
    assert out.returncode == 1, out.stderr
    assert "4 claims: 3 hold (3 proved), 1 wrong" in out.stdout and "the 1/m of the mean" in out.stdout, out.stdout
    out = subprocess.run([SCRIPT, "check", "--notation", "ng", "db^{[l]} = np.sum(dZ^{[l]})"], capture_output=True,
                         text=True, timeout=300, env=os.environ)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "axis" in out.stderr, out.stderr


def test_bishops_unit_letters_carry_the_layer_and_a_square_is_a_power():
    d = derive(preset("bishop", sizes=(2, 3, 3, 1), activations=("tanh", "tanh", "identity")))   # i, j, k: L-2, L-1, L
    assert check(d, r"\delta_j = h'(a_j) \sum_k w_{kj} \delta_k", "bishop").status == "proved"
    assert check(d, r"\frac{\partial E_n}{\partial w_{ji}} = \delta_j z_i", "bishop").status == "proved"
    verdict = check(d, r"\delta_j = (1 - z_j^2) \sum_{k=1}^K w_{kj} \delta_k", "bishop")
    assert verdict.status == "proved" and "^2" in verdict.read_as, verdict.text()     # z_j squared, not layer 2
    assert check(d, r"\delta_j = (1 - z_j) \sum_{k=1}^K w_{kj} \delta_k", "bishop").status == "wrong"


def test_ngs_lowercase_forms_are_one_examples_and_checked_on_one_example():
    """dz^{[l]}, a^{[l]}: one example's (C1W3's summary); the uppercase vectorized forms keep the batch and its 1/m."""
    d = derive(preset("ng"))                                  # m = 2
    verdict = check(d, r"dW^{[2]} = dz^{[2]} a^{[1]T}", "ng")
    assert verdict.status == "proved" and any("dz is one example's" in n for n in verdict.notes), verdict.text()
    assert check(d, r"dW^{[2]} = dZ^{[2]} A^{[1]T}", "ng").status == "wrong"          # the vectorized form needs 1/m
    assert check(d, r"dW^{[2]} = \frac{1}{m} dZ^{[2]} A^{[1]T}", "ng").status == "proved"
    wrong = check(d, r"dz^{[1]} = W^{[2]T} dz^{[2]}", "ng")
    assert wrong.status == "wrong" and "gprime" in [x.kind for x in wrong.diagnoses]
    assert notation("ng").example_words and not notation("matrix").example_words


@pytest.mark.parametrize("name, labels", [("nielsen", ["(BP1)", "(BP2)", "(BP3)", "(BP4)"]),
                                          ("bishop", ["(5.54), as h' = 1 here", "(5.56)", "(5.53)"])])
def test_a_books_document_labels_its_equations_as_the_book_does(name, labels):
    """Issue 14: a document in a book's notation labels the back-propagation equations with the book's own numbers,
    on a network of the book's kind; on another network the book's equation would be another one, so no label."""
    from symbackprop.writeup.document import render
    book = notation(name).book
    text = render(derive(preset(name)), notation=name, fmt="markdown")
    for label in labels:
        assert f"{book}'s {label}" in text, (name, label)
    other = render(derive(preset(name, loss="mae")), notation=name, fmt="markdown")
    assert f"{book}'s (" not in other          # no label; the note on the book's algorithm box stays


@pytest.mark.parametrize("name, glyph, line", [
    ("ng", r"dW^{[l]} = \frac{\partial J}{\partial W^{[l]}}",
     r"dW^{[l]} &= \frac{1}{m} dZ^{[l]} \left(A^{[l - 1]}\right)^{T}"),             # the course's dW, 1/m outside
    ("goodfellow", r"\nabla_{W^{(k)}} J = \frac{\partial J}{\partial W^{(k)}}",
     r"\nabla_{W^{(k)}} J &= \lambda W^{(k)} + g^{(k)} \left(h^{(k - 1)}\right)^{T}"),    # Algorithm 6.4's line
    ("matrix", None, r"\frac{\partial E}{\partial W^{l}} &= \delta^{l} \left(A^{l - 1}\right)^{T}"),
])
def test_a_layers_gradient_is_written_as_the_book_writes_it_and_said_once_before_use(name, glyph, line):
    from symbackprop.writeup.document import render
    text = render(derive(preset(name)), notation=name, fmt="markdown")
    assert line in text, line
    if glyph is None:
        assert "A layer's gradients are written" not in text
    else:
        said = text.index(glyph)
        assert said < text.index(line) and "A layer's gradients are written" in text[said - 200:said]



def test_a_books_boxed_equations_come_in_the_books_order():
    """Nielsen's BP3 (∂C/∂b = δ) comes before BP4 (∂C/∂w = a δ), as the book prints them; theta's keep (44), (46)."""
    import re

    from symbackprop.writeup.document import render
    md = render(derive(preset("nielsen")), notation="nielsen", fmt="markdown")
    assert re.findall(r"Nielsen's \((BP\d)\)", md) == ["BP1", "BP2", "BP3", "BP4"]
    assert md.index(r"\frac{\partial C}{\partial b^{l}_{j}} = ") < md.index(r"\frac{\partial C}{\partial w^{l}_{jk}} = ")


def test_a_book_names_its_cost_and_its_learning_rate_as_it_does():
    """Review 3: Nielsen's C and Ng's J are 'the cost'; Ng's course updates with α and :=. Entries' data, the
    same templates: the matrix notation keeps 'the error', η and ←."""
    from symbackprop.writeup.document import render
    ng = render(derive(preset("ng", batch=4)), notation="ng", fmt="markdown")
    assert "The cost is $J$" in ng and "## 3. The cost" in ng
    assert r"W^{[l]} := W^{[l]} - \alpha dW^{[l]}" in ng and r"\eta" not in ng and r"\leftarrow" not in ng
    assert "with learning rate $\\alpha = 0.5$" in ng
    nielsen = render(derive(preset("nielsen")), notation="nielsen", fmt="markdown")
    assert "The cost is $C$" in nielsen
    matrix = render(derive(preset("matrix", batch=4)), fmt="markdown")
    assert "The error is $E$" in matrix and r"\leftarrow W^{l} - \eta" in matrix


def test_a_books_document_names_its_source_and_a_course_file_does_not_borrow_it(tmp_path):
    """Review 4: no handout said whose notation it uses. A book's entry cites it; a course's file based on one
    says nothing unless it gives its own source, and a source is plain text of a line."""
    from symbackprop.model.notation_file import read
    from symbackprop.writeup.document import render
    md = render(derive(preset("nielsen")), notation="nielsen", fmt="markdown")
    assert md.count("The notation is that of Michael Nielsen, Neural Networks and Deep Learning, chapter 2.") == 1
    assert ("The notation is that of the blog post “Neural Networks - Back-propagation Derivation” (January 2023); "
            "Appendix A gives the post's derivation" in render(derive(preset("matrix", batch=4)), fmt="markdown"))
    course = read("name = 'course'\nbase = 'nielsen'\n", "course.toml")
    assert course.source == "" and read("name = 'c'\nbase = 'nielsen'\nsource = 'My notes'\n", "c.toml").source == \
        "My notes"
    with pytest.raises(SpecError, match="key 'source' must be"):
        read('name = "c"\nbase = "nielsen"\nsource = "two\\nlines"\n', "c.toml")     # TOML's \n: a newline


@pytest.mark.parametrize("name, sentence", [
    ("ufldl", r"The UFLDL tutorial itself writes $\delta^{(l)}_{i}$ for this document's $\epsilon^{(l)}_{i}$, "
              r"$f$ for $\sigma$, $n_l$ for $L$"),
    ("rows", r"CS231n's code writes $\mathtt{data\_loss}$ for this document's $E$, $\mathtt{y}[c]$ for "
             r"$\text{the column of the 1 in row } c \text{ of } Y$, $\mathtt{num\_examples}$ for $m$, "
             r"$\mathtt{D}$ for $n^{0}$"),
    ("rows", r"$\mathtt{dhidden}$ for $\partial E/\partial A^{1}$, $\mathtt{dhidden} \text{ after its ReLU line}$ "
             r"for $\delta^{1}$"),                # review 7: dhidden is δ¹ only once the ReLU's zeros are set
    ("goodfellow", r"The book writes $\hat{y}$ for this document's $h^{(l)}$, $f$ for $f^{(k)}$, "
                   r"$g \text{ (after its line } g \gets g \odot f'(a^{(k)}) \text{ in Algorithm 6.4)}$ for "
                   r"$g^{(k)}$ and "
                   r"$\lambda \Omega(\theta)$ for $(\lambda/2) \sum_{k,i,j} \left(W^{(k)}_{ij}\right)^{2}$."),
    ("ng", r"The course, with example i and unit j, writes $dZ^{[l]} = \partial \mathcal{L}/\partial Z^{[l]}$ for "
           r"this document's $dZ^{[l]} = m \, \partial J/\partial Z^{[l]}$, $a^{[l](i)}_{j}$ for $A^{[l]}_{j;i}$ and "
           r"$y^{(i)}_{j}$ for $Y_{j;i}$."),
    ("nielsen", r"Nielsen writes $\sum_{k} w^{l+1}_{kj} \delta^{l+1}_{k}$ for this document's "
                r"$\sum_{q} w^{l+1}_{qj} \delta^{l+1}_{q}$."),   # review 9: his n (the training set) is not our m
    ("bishop", r"Bishop writes $y_{k}$ for this document's $z^{(L)}_{k}$ and $w^{(l)}_{j0}$ for $b^{(l)}_{j}$."),
    ("theta", r"Andrew Ng's Machine Learning course (Coursera) writes $\Theta^{(l)}$ for this document's "
              r"$\theta^{(l)}$, $a^{(l)}$ for $h^{(l)}\left(z^{(l)}\right)$, $h_{\Theta}(x)$ for "
              r"$h^{(L)}\left(z^{(L)}\right)$, $g$ for $h^{(l)}$"),
])
def test_a_reader_from_the_book_is_told_its_letters_once(name, sentence):
    """Reviews 3 to 6: UFLDL's δ, f, n_l, α; CS231n's num_examples, X, W, scores and dscores; the book's ŷ, f and
    λΩ(θ); Ng's (i) superscript for the example; Bishop's y_k and w_j0. The entry's glossary says them once in §1, in both formats, before §2."""
    from symbackprop.writeup.document import render
    d = derive(preset(name))
    for fmt in ("markdown", "latex"):
        text = render(d, notation=name, fmt=fmt)
        assert text.count(sentence) == 1, (name, fmt)
        assert text.index(sentence) < text.index("The forward pass")


def test_a_glossary_is_checked_like_a_glyph_and_not_inherited(tmp_path):
    from symbackprop.model.notation_file import read
    assert read("name = 'course'\nbase = 'ufldl'\n", "c.toml").glossary == {}       # the course's own letters
    own = read("name = 'c'\nbase = 'ufldl'\nglossary_of = 'My notes'\n[glossary]\n'e' = '\\varepsilon'\n",
               "c.toml")
    assert own.glossary == {"e": r"\varepsilon"}
    for bad, match in [("glossary_of = 'My notes'\n[glossary]\n'x' = '\\input{/etc/passwd}'\n", "not allowed"),
                       ("[glossary]\n'x' = 'y'\n", "go together"),
                       ("glossary_of = 'My notes'\n[glossary]\n'x' = 3\n", "must be a glyph"),
                       ("pre_word = 'Net Input!'\n", "key 'pre_word' must be"),
                       # an unbalanced \left stopped pdflatex after the .tex was written (exit 2, no PDF)
                       ("glossary_of = 'My notes'\n[glossary]\n'\\left(' = 'x'\n", "needs its \\\\right")]:
        with pytest.raises(SpecError, match=match):
            read("name = 'c'\nbase = 'ufldl'\n" + bad, "c.toml")


@pytest.mark.parametrize("name, note", [
    ("nielsen", "Nielsen's backpropagation algorithm (chapter 2) stops at the gradients"),
    ("goodfellow", "The book's Algorithm 6.4 is this loop without the update"),
    ("bishop", "Bishop's error backpropagation box (section 5.3.1) stops at the derivatives"),
    ("rows", "The case study's code runs the same products in another order")])
def test_the_books_own_algorithm_box_is_said_under_ours(name, note, tmp_path):
    """Review 7 (book fidelity): none of the books' boxes has an update step, and CS231n's code interleaves the
    gradients with the signals. The entry's algorithm_note says so under the box; a course file does not
    inherit it (it speaks of the book)."""
    from symbackprop.model.notation_file import read
    from symbackprop.writeup.document import render
    d = derive(preset(name))
    for fmt in ("markdown", "latex"):
        text = render(d, notation=name, fmt=fmt)
        assert text.count(note) == 1 and text.index("back-propagation, one step") < text.index(note), fmt
        assert text.index(note) < text.index("Dimensions of the backward products")
    assert read(f"name = 'course'\nbase = '{name}'\n", "c.toml").algorithm_note == ""
    with pytest.raises(SpecError, match="key 'algorithm_note' must be printable text"):
        read(f'name = "course"\nbase = "{name}"\nalgorithm_note = "two\\nlines"\n', "c.toml")   # TOML's \n
    with pytest.raises(SpecError, match="key 'algorithm_note' must be one line of plain text of at most 300"):
        read(f'name = "course"\nbase = "{name}"\nalgorithm_note = "{"x" * 301}"\n', "c.toml")
