"""The numeric side: NumPy code generated from a derivation (lambdify), input arrays, and gradcheck
against finite differences, complex step, a hand-written back-prop and autodiff references.
"""
