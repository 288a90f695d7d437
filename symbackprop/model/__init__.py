"""The model and its rules: the network spec, activations, losses, stable numeric forms, notations.

No SymPy work beyond the rules' own formulas; every other stage imports from here.
"""
