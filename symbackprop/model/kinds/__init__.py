"""Layer kinds beyond the dense short form: one entry (a module) per kind; the interface is in ``base``.

``KINDS`` maps a kind's name to its entry; to add a kind, write its module (a ``KIND`` and its rules, see
``base``'s docstring and ``batchnorm.py`` for an example) and list it here. An activation of the table
is a layer too (``elementwise``), written by its name or formula with no colon.
"""
from __future__ import annotations

from . import add, batchnorm, conv1d, dense, dropout, layernorm, log_softmax, prelu, rnn, softmax
from .base import Kind, Layer, Values
from .elementwise import layer as elementwise

KINDS: dict[str, Kind] = {k.name: k for k in (dense.KIND, batchnorm.KIND, layernorm.KIND, softmax.KIND,
                                              log_softmax.KIND, prelu.KIND, dropout.KIND, add.KIND, conv1d.KIND,
                                              rnn.KIND)}

__all__ = ["KINDS", "Kind", "Layer", "Values", "elementwise"]
