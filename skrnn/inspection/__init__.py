"""Seeing the memory: hidden states and the influence of each token."""

from ._display import HiddenStateDisplay, TokenInfluenceDisplay
from ._influence import token_influence

__all__ = ["HiddenStateDisplay", "TokenInfluenceDisplay", "token_influence"]
