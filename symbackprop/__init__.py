"""symbackprop: derive, prove and teach back-propagation.

The pipeline, in the order a newcomer should read the modules:
spec (Network) -> forward (Z, A, E) -> direct (chain rule on E) | delta (closed-form δ)
-> derive (Derivation) -> verify (proof per parameter) | numeric (lambdify: NumPy code by route)
-> gradcheck (symbolic against finite differences, complex step, autodiff) -> cli.
"""
from .derive import Derivation, derive
from .errors import SpecError
from .gradcheck import GradcheckReport, gradcheck
from .notations import NOTATIONS, notation, preset
from .numeric import Lambdified, lambdify
from .spec import Network
from .verify import Report, verify

__all__ = ["Network", "Derivation", "derive", "verify", "Report", "SpecError", "NOTATIONS", "notation", "preset",
           "lambdify", "Lambdified", "gradcheck", "GradcheckReport"]
__version__ = "0.1.0"
