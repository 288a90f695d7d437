"""explain for a layer stack: the chain from E to one parameter through every path of the graph (issue 16)."""
import pytest

from symbackprop import cli
from symbackprop.model.layers import network
from symbackprop.symbolic.graph import Graph
from symbackprop.writeup.stack import explain_stack, paths

RESIDUAL = "input:2, dense:2, tanh, add:1, dense:1"


def downstream(stack, k):
    """Independently of the wiring: the nodes whose forward rule reads node k's symbols, and on, transitively."""
    graph = Graph(stack, 1)
    found = {k}
    for n in range(k + 1, stack.depth + 1):
        if any(s in graph.out[n].free_symbols for m in found for s in graph.H[m]):
            found.add(n)
    return found - {k}


def test_every_path_of_a_residual_is_in_the_chain():
    stack = network(RESIDUAL)
    # W1 reaches E through tanh and the skip: two paths, summed at H1
    assert paths(stack, 1) == [[1, 2, 3, 4], [1, 3, 4]]
    text = explain_stack(stack, "W1[1,1]")
    assert "path 1: E ← H4 ← H3 ← H2 ← H1 ← W1[1,1]" in text
    assert "path 2: E ← H4 ← H3 ← H1 ← W1[1,1]" in text
    assert "∂E/∂H1 = (∂E/∂H2)(∂H2/∂H1) + (∂E/∂H3)(∂H3/∂H1)" in text
    assert "summed where they meet" in text
    lines = [line.strip() for line in text.splitlines()]
    # each ∂E/∂H line is followed by the rules of the layers that read that node, in order
    at = lines.index("∂E/∂H2 = (∂E/∂H3)(∂H3/∂H2)")
    assert lines[at + 1].startswith("layer 3 (add:1): ")
    at = lines.index("∂E/∂H1 = (∂E/∂H2)(∂H2/∂H1) + (∂E/∂H3)(∂H3/∂H1)")
    assert lines[at + 1] == "layer 2 (tanh): " + stack.layers[1].tex_backward
    assert lines[at + 2] == "layer 3 (add:1): " + stack.layers[2].tex_backward
    assert lines[at + 3] == "∂E/∂W1[1,1] = Σ over H1's components (∂E/∂H1)(∂H1/∂W1[1,1])"
    assert lines[at + 4] == "layer 1 (dense:2): " + stack.layers[0].tex_backward


@pytest.mark.parametrize("layers", [RESIDUAL, "input:2, batchnorm, relu, dense:1", "input:3, layernorm, dense:2, softmax"])
def test_the_paths_are_the_graphs_dependencies(layers):
    """Each layer on a path reads the one before it, and the paths cover exactly the nodes the forward pass
    makes depend on node k (read off the symbolic outputs, not the wiring)."""
    stack = network(layers, loss="mse")
    for k in range(1, stack.depth + 1):
        every = paths(stack, k)
        assert all(a in stack.sources(b) for p in every for a, b in zip(p, p[1:], strict=False))
        assert all(p[0] == k and p[-1] == stack.depth for p in every)
        assert {n for p in every for n in p[1:]} == downstream(stack, k)


def test_cli_explains_a_batchnorm_parameter(capsys):
    assert cli.main(["explain", "gamma1[1]", "--layers", "input:2, batchnorm, relu, dense:1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("∂E/∂gamma1[1,1] by the chain rule")
    assert "chain: E ← H3 ← H2 ← H1 ← gamma1[1,1]" in out
    assert r"\frac{\partial E}{\partial \gamma_i} = \sum_c dy_{ic}\hat x_{ic}" in out   # batchnorm's own rule


@pytest.mark.parametrize("parameter, message", [
    ("zz1[1]", "zz1 is not a parameter of this stack; its parameters: gamma1[i,j], beta1[i,j], W3[i,j], b3[i,j]"),
    ("gamma1[3]", "gamma1 is 2×1; gamma1[3,1] is outside it"),
    ("gamma", "'gamma' is not a stack parameter such as gamma1[1,1]"),
])
def test_cli_refuses_in_one_line(capsys, parameter, message):
    assert cli.main(["explain", parameter, "--layers", "input:2, batchnorm, relu, dense:1"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_explain_derives_the_parameters_layer_step_by_step(capsys):
    """After the chain, the layer's rule derived from its stages: each step of its entry, in order."""
    stack = network("input:2, batchnorm, relu, dense:1")
    text = explain_stack(stack, "gamma1[2]")
    layer = stack.layers[0]
    lines = [line.strip() for line in text.splitlines()]
    at = lines.index("layer 1's rule derived from its forward stages (dy = ∂E/∂y, what the layers above send):")
    assert lines[at + 1:at + 1 + len(layer.stages)] == [s.tex for s in layer.stages]
    shown = lines[at + 1 + len(layer.stages)::2][:len(layer.steps)]
    assert shown == [s.tex.replace("&=", "=") for s in layer.steps]
    assert r"\frac{\partial E}{\partial \mu_i}" in text and "three paths" in text
