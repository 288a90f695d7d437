"""A hand derivation checked: claims parsed by a whitelisting grammar (never evaluated), read as the
general equations, proved at every instance or refuted with a counterexample and a diagnosis.
"""
