"""Claims about an activation itself (g'(z) = …, σ'(z) = σ(z)(1 − σ(z)), ReLU'(z) as cases), as the courses print
them: read verbatim, proved on each piece between the kinks and the cases' boundaries, refuted with a point; a
value at a kink, where the derivative is not defined, is a convention, said in a note, never a false alarm."""
import pytest

from symbackprop import Network, check, derive
from symbackprop.claims.parse import ClaimSyntaxError


def net(activation, **fields):
    return derive(Network(sizes=(2, 3, 1), activations=activation, loss="mse", batch=1, **fields))


RELU_RIGHT = [
    r"g'(z) = \begin{cases} 1 & z > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"g'(z) = \begin{cases} 0 & \text{if } z < 0 \\ 1 & \text{if } z \geq 0 \end{cases}",      # Ng, C1W3
    r"\operatorname{ReLU}'(z) = \begin{cases} 1 & \text{if } z > 0 \\ 0 & \text{if } z \leq 0 \end{cases}",
    r"\text{ReLU}'(z) = \begin{cases} 1, & z > 0 \\ 0, & z < 0 \end{cases}",
    "relu'(z) = \\begin{cases} 1 & z ≥ 0 \\\\ 0 & z < 0 \\end{cases}",
    r"relu(z) = \begin{cases} z & z > 0 \\ 0 & \text{otherwise} \end{cases}",
]


@pytest.mark.parametrize("claim", RELU_RIGHT)
def test_relu_as_printed_is_proved(claim):
    verdict = check(net("relu"), claim)
    assert verdict.status == "proved" and verdict.instances == 1, verdict.text()


def test_the_value_at_the_kink_is_a_convention_not_an_error():
    """Ng's g'(0) = 1 against the network's H(0) = 0: a note, not a false alarm; with --relu-at-zero 1, no note."""
    claim = RELU_RIGHT[1]
    verdict = check(net("relu"), claim)
    assert any("either is a subgradient" in n for n in verdict.notes), verdict.text()
    assert not check(net("relu", relu_at_zero=1), claim).notes


@pytest.mark.parametrize("claim, at", [
    (r"g'(z) = \begin{cases} 1 & z > 1 \\ 0 & \text{otherwise} \end{cases}", None),      # the wrong boundary
    (r"g'(z) = \begin{cases} 0 & z > 0 \\ 1 & \text{otherwise} \end{cases}", None),      # the rows swapped
    (r"g'(z) = \begin{cases} 1 & z > 0 \\ 0 & z < -1 \end{cases}", "no row of the cases applies here"),
    (r"relu(z) = \begin{cases} z & z > 0 \\ z & \text{otherwise} \end{cases}", None),
    (r"g'(z) = \begin{cases} 1 & z > 0 \\ 1/2 & z = 0 \\ 0 & z < 0 \end{cases}", "syntax"),
])
def test_a_wrong_relu_is_refuted_at_a_point(claim, at):
    if at == "syntax":                     # '=' is not a cases condition: refused, not misread
        with pytest.raises(ClaimSyntaxError):
            check(net("relu"), claim)
        return
    verdict = check(net("relu"), claim)
    assert verdict.status == "wrong" and verdict.failures, verdict.text()
    if at:
        assert verdict.failures[0].reason == at
    else:
        point = verdict.failures[0].point["z"]
        assert verdict.failures[0].claim != verdict.failures[0].truth and point == point


@pytest.mark.parametrize("activation, claim, right", [
    ("sigmoid", r"\sigma'(z) = \sigma(z)(1 - \sigma(z))", True),
    ("sigmoid", r"g'(z) = g(z)(1 - g(z))", True),                          # Ng, C1W3
    ("sigmoid", r"\sigma'(z) = \sigma(z)(1 + \sigma(z))", False),
    ("sigmoid", r"\sigma'(z) = \sigma(z)^2", False),
    ("tanh", r"g'(z) = 1 - (\tanh(z))^2", True),                           # Ng, C1W3
    ("tanh", r"\tanh'(z) = 1 - \tanh(z)", False),
    ("relu", r"\tanh'(z) = 1 - \tanh(z)^2", True),                         # by its name, whatever the network
])
def test_smooth_activations_by_the_notations_g_or_by_name(activation, claim, right):
    verdict = check(net(activation), claim)
    assert (verdict.status == "proved") is right and (verdict.status == "wrong") is (not right), verdict.text()


def test_g_on_a_network_with_different_activations_needs_its_layer():
    mixed = derive(Network(sizes=(2, 3, 1), activations=("relu", "sigmoid"), loss="mse", batch=1))
    with pytest.raises(ClaimSyntaxError, match="different activations: say which"):
        check(mixed, r"g'(z) = g(z)(1 - g(z))")
    relu = r"\begin{cases} 1 & z > 0 \\ 0 & \text{otherwise} \end{cases}"
    assert check(mixed, "{g^1}'(z) = " + relu).status == "proved"
    assert check(mixed, "{g^2}'(z) = " + relu).status == "wrong"
    assert check(mixed, "{g^2}'(z) = g^2(z)(1 - g^2(z))").status == "proved"
