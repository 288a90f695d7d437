"""symbackprop: derive, prove and teach back-propagation.

Read ``pipeline.run`` first: it names every stage in order. The stages are sub-packages, each
importing only from those below it: model (the network and its rules) -> symbolic (derive, verify)
-> numeric (lambdify, gradcheck) -> writeup (explain, render, write) -> claims (check) -> cli.
"""
from .claims.check import Verdict, check, check_claims, check_text
from .model.errors import SpecError
from .model.notations import NOTATIONS, notation, preset
from .model.spec import Network
from .numeric.gradcheck import GradcheckReport, gradcheck
from .numeric.lambdify import Lambdified, lambdify
from .symbolic.derive import Derivation, derive
from .symbolic.verify import Report, verify
from .writeup.document import render, write
from .writeup.explain import Explanation, explain
from .writeup.printing import show

__all__ = ["Network", "Derivation", "derive", "verify", "Report", "SpecError", "NOTATIONS", "notation", "preset",
           "lambdify", "Lambdified", "gradcheck", "GradcheckReport", "explain", "Explanation", "render", "write",
           "check", "check_text", "check_claims", "Verdict", "show"]
__version__ = "0.1.0"
