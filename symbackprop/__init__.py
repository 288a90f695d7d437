"""symbackprop: derive, prove and teach back-propagation.

The pipeline, in the order a newcomer should read the modules:
spec (Network) -> forward (Z, A, E) -> direct (chain rule on E) | delta (closed-form δ)
-> general (the textbook equations, symbolic indices) -> derive (Derivation)
-> verify (proof per parameter) | numeric (lambdify: NumPy code by route) | explain (chain-rule steps)
-> gradcheck (symbolic against finite differences, complex step, autodiff)
-> claims (a hand derivation read, never evaluated) -> check (each claim proved or diagnosed)
-> writeup (LaTeX, PDF, Markdown through templates/, printed by printing, laid out by layout, built by pdf) -> cli.
"""
from .check import Verdict, check, check_claims, check_text
from .derive import Derivation, derive
from .errors import SpecError
from .explain import Explanation, explain
from .gradcheck import GradcheckReport, gradcheck
from .notations import NOTATIONS, notation, preset
from .numeric import Lambdified, lambdify
from .printing import show
from .spec import Network
from .verify import Report, verify
from .writeup import render, write

__all__ = ["Network", "Derivation", "derive", "verify", "Report", "SpecError", "NOTATIONS", "notation", "preset",
           "lambdify", "Lambdified", "gradcheck", "GradcheckReport", "explain", "Explanation", "render", "write",
           "check", "check_text", "check_claims", "Verdict", "show"]
__version__ = "0.1.0"
