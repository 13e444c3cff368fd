"""nnbasics: the from-scratch library of the nnbasics course.

One module per chapter; every op has a hand-written forward and backward on torch tensors and
mirrors the name and signature of its torch twin.
"""

from nnbasics import activations, utils
from nnbasics.utils import reproducible, show_source

__all__ = ["activations", "reproducible", "show_source", "utils"]
__version__ = "0.1.0"
