"""A network as a sequence of layers: the long form of sizes and activations, in Python, on the command line and
in a TOML network file; kinds the engine does not derive are refused with one line, never approximated."""
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop import Network, SpecError, derive, gradcheck, verify
from symbackprop.model.layers import load, network, parse, split_top_level
from symbackprop.numeric.arrays import random_data, random_params


def test_the_sequence_is_the_long_form_of_sizes_and_activations():
    net = network("input:2, dense:3, tanh, dense:2, leaky_relu(0.2), dense:1, sigmoid", loss="mse", batch=2)
    assert net == Network(sizes=(2, 3, 2, 1), activations=("tanh", "leaky_relu(0.2)", "sigmoid"), loss="mse",
                          batch=2)
    assert verify(derive(net)).ok
    from symbackprop import layers
    assert layers("input:2, dense:1", loss="mse") == Network(sizes=(2, 1), activations="identity", loss="mse")


def test_a_dense_layer_without_an_activation_is_linear_and_formulas_keep_their_commas():
    sizes, acts = parse("input:2, dense:3, max(z, 0.1*z), dense:2")
    assert sizes == (2, 3, 2) and [a.name for a in acts] == ["max(z, 0.1*z)", "identity"]
    assert split_top_level("a(1, 2), b[3, 4], c") == ["a(1, 2)", "b[3, 4]", "c"]


@pytest.mark.parametrize("layers, message", [
    ("input:2, dense:3, groupnorm, dense:1", "unknown layer kind or activation 'groupnorm'"),
    ("input:2, dense:3, conv2d:3", "unknown layer kind 'conv2d'"),
    ("dense:3, tanh", "starts with input:n"),
    ("input:2, tanh", "an activation follows a dense layer"),
    ("input:2, dense:3, relu, tanh", "tanh right after relu: one activation per dense layer"),
    ("input:2", "an input:n and at least one dense:n"),
    ("input:2, input:3, dense:1", "input:n comes once, first"),
    ("input:2, dense:0", "a whole number of units >= 1"),
    ("input:2, dense:9999999", "a whole number of units >= 1"),
    ("input:2, dense:3, log(z+3)", "not a real differentiable function of z everywhere"),
    ("", "layers is a sequence"),
    ("input:2, , dense:1", "none empty"),
])
def test_a_sequence_that_is_not_one_is_one_line(layers, message):
    with pytest.raises(SpecError, match=message) as error:
        parse(layers)
    assert "\n" not in str(error.value)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(["tanh", "sigmoid", "relu", "identity", None])),
                min_size=1, max_size=3), st.integers(1, 3))
def test_random_stacks_derive_prove_and_gradcheck(stack, inputs):
    """Any stack of dense layers with or without activations: the same network as its short form, proved,
    and its gradients agree with every reference."""
    layers = [f"input:{inputs}"] + [item for units, act in stack for item in (f"dense:{units}", act) if item]
    net = network(layers, loss="mse", batch=1)
    assert net.sizes == (inputs, *(units for units, _ in stack))
    assert net.layer_activations == tuple(act or "identity" for _, act in stack)
    d = derive(net)
    assert verify(d).ok
    rng = np.random.default_rng(len(layers))
    X, Y = random_data(net, 3, rng)
    assert gradcheck(d, random_params(net, rng), X, Y).ok


def test_a_network_file(tmp_path):
    path = tmp_path / "net.toml"
    path.write_text('layers = ["input:2", "dense:3", "tanh", "dense:2", "softmax"]\nloss = "cce"\nbatch = 1\n')
    assert load(path) == Network(sizes=(2, 3, 2), activations=("tanh", "softmax"), loss="cce", batch=1)
    for text, message in [('layers = ["input:2", "dense:1"]\nlos = "mse"', "unknown key 'los'"),
                          ('loss = "mse"', "key 'layers' is missing"),
                          ('layers = ["input:2", "dense:1"]\nbatch = "two"', "net.toml: "),
                          ('layers = [', "not a TOML file")]:
        path.write_text(text)
        with pytest.raises(SpecError, match=message):
            load(path)


def test_the_command_line_takes_layers_and_a_network_file(tmp_path):
    script = shutil.which("symbackprop")
    assert script, "pip install . puts symbackprop on PATH"
    run = lambda *args: subprocess.run([script, *args], capture_output=True, text=True, timeout=120)  # noqa: E731
    ok = run("verify", "--layers", "input:2, dense:3, tanh, dense:1, sigmoid")
    assert ok.returncode == 0 and "13 proved" in ok.stdout, ok.stderr
    path = tmp_path / "net.toml"
    path.write_text('layers = ["input:2", "dense:2", "relu", "dense:1"]\nloss = "mae"\n')
    ok = run("verify", "--network", str(path))
    assert ok.returncode == 0 and "9 proved" in ok.stdout, ok.stderr
    for args, message in [(("--layers", "input:2, dense:3, groupnorm"), "unknown layer kind or activation"),
                          (("--layers", "input:2, dense:1", "--sizes", "2,1"), "give one or the other"),
                          (("--network", str(path), "--loss", "mse"), "--network gives the whole network")]:
        bad = run("verify", *args)
        assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and message in bad.stderr, bad.stderr
