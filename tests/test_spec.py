"""Invalid specifications fail at construction with one line naming what is allowed."""
import pytest

from symbackprop import Network, SpecError, derive


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": ()}, "at least two layers"),
    ({"sizes": (2,)}, "at least two layers"),
    ({"sizes": (2, 0, 1)}, "positive integer; got 0"),
    ({"sizes": (2, -3, 1)}, "positive integer; got -3"),
    ({"sizes": (2, 1.5, 1)}, "positive integer; got 1.5"),
    ({"sizes": (2, True)}, "positive integer; got True"),
    ({"sizes": "2,3,1"}, "sequence of layer widths"),
    ({"activations": "swish"}, "unknown activation 'swish' for layer 1; allowed: sigmoid, tanh, relu, identity, softplus, softmax, generic"),
    ({"activations": ("tanh", "sigmoid", "relu")}, "one per layer 1..2 (2 names); got 3"),
    ({"activations": ("softmax", "sigmoid")}, "softmax is only allowed on the output layer 2; layer 1 is hidden"),
    ({"sizes": (2, 1), "activations": "softmax", "loss": "cce"}, "softmax needs at least 2 output units"),
    ({"loss": "hinge"}, "unknown loss 'hinge'; allowed: mse, bce, cce"),
    ({"loss": "cce"}, "cce needs a softmax output layer; the output activation is sigmoid"),
    ({"loss": "bce", "activations": "tanh"}, "bce needs outputs confined to (0, 1), from sigmoid or softmax"),
    ({"loss": "bce", "activations": "generic"}, "the output activation is generic"),
    ({"batch": 0}, "batch must be a positive integer"),
    ({"batch": 2.0}, "batch must be a positive integer"),
    ({"weight_decay": -0.1}, "weight_decay must be a finite number >= 0 or a symbol name"),
    ({"weight_decay": "__import__('os')"}, "plain symbol name"),
    ({"weight_decay": float("inf")}, "finite number"),
    ({"weight_decay": "W1_1_1"}, "that the network does not use itself"),
    ({"activations": None}, "activations must be a name"),
    ({"loss": ["mse"]}, "unknown loss"),
    ({"batch": 1000}, "at most 128 batch"),
    ({"relu_at_zero": 2}, "relu_at_zero must be a number in [0, 1]"),
])
def test_invalid_specifications_name_what_is_allowed(kwargs, message):
    with pytest.raises(SpecError) as error:
        Network(**kwargs)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_valid_specifications_normalise():
    net = Network(sizes=[3, 4, 2], activations=["tanh", "softmax"], loss="cce", batch=3, weight_decay="lam")
    assert net.sizes == (3, 4, 2) and net.depth == 2
    assert net.layer_activations == ("tanh", "softmax")
    assert net.weight_decay == "lam"
    assert Network(activations=("relu", "relu")).activations == "relu"
    assert Network(sizes=(4, 8, 8, 3)).parameter_count == 139


def test_network_is_frozen():
    with pytest.raises(AttributeError):
        Network().batch = 5


def test_the_parameter_limit_is_on_symbolic_work_not_on_the_network():
    big = Network(sizes=(784, 256, 10), activations=("sigmoid", "softmax"), loss="cce")
    assert big.parameter_count == 203530          # the NumPy matrix route takes it
    with pytest.raises(SpecError, match="at most 5000 parameters; this network has 203530"):
        derive(big)
