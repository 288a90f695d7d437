"""The one exception type a user sees: a one-line message saying what is wrong and what is allowed."""


class SpecError(ValueError):
    """An invalid network specification, notation or parameter name."""
