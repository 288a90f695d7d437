"""symbackprop: derive, prove and teach back-propagation.

Read ``pipeline.run`` first: it names every stage in order. The stages are sub-packages, each
importing only from those below it: model (the network and its rules) -> symbolic (derive, verify)
-> numeric (lambdify, gradcheck) -> writeup (explain, render, write) -> claims (check) -> cli.
"""
from __future__ import annotations

# Loaded on first use (PEP 562), so that the command line can install its signal handlers before SymPy and
# NumPy load: a Ctrl-C in the first fraction of a second is then one line, not a traceback from an import.
_EXPORTS = {
    "Verdict": "claims.check", "check": "claims.check", "check_claims": "claims.check", "check_text": "claims.check",
    "SpecError": "model.errors", "NOTATIONS": "model.notations", "notation": "model.notations",
    "preset": "model.notations", "Network": "model.spec", "GradcheckReport": "numeric.gradcheck",
    "gradcheck": "numeric.gradcheck", "Lambdified": "numeric.lambdify", "lambdify": "numeric.lambdify",
    "Derivation": "symbolic.derive", "derive": "symbolic.derive", "Report": "symbolic.verify",
    "verify": "symbolic.verify", "render": "writeup.document", "write": "writeup.document",
    "Explanation": "writeup.explain", "explain": "writeup.explain", "show": "writeup.printing",
    "Activation": "model.activations", "Loss": "model.losses", "Notation": "model.notations",
    "register_activation": "model.activations", "register_loss": "model.losses", "register_notation": "model.notations",
    "run": "pipeline", "layers": "model.layers", "load_notation": "model.notation_file",
    "Stack": "model.layers", "verify_stack": "symbolic.graph", "gradcheck_stack": "numeric.layers",
    "write_stack": "writeup.stack_document", "check_stack_claim": "claims.stack",
}
_RENAMED = {"register_activation": "register", "register_loss": "register", "register_notation": "register",
            "layers": "network", "load_notation": "load"}


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # here, not at the top: the entry point imports nothing before its signal handlers
    from importlib import import_module

    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = ["Network", "Derivation", "derive", "verify", "Report", "SpecError", "NOTATIONS", "notation", "preset",
           "lambdify", "Lambdified", "gradcheck", "GradcheckReport", "explain", "Explanation", "render", "write",
           "check", "check_text", "check_claims", "Verdict", "show", "Activation", "Loss", "Notation",
           "register_activation", "register_loss", "register_notation", "run", "layers", "load_notation",
           "Stack", "verify_stack", "gradcheck_stack", "write_stack", "check_stack_claim"]
__version__ = "0.1.0"
