"""The symbolic derivation and its proof: forward pass and E, the chain rule on E (direct side),
the closed-form δ equations, the general textbook equations, Derivation, verify.
"""
