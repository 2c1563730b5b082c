"""Seeing the memory: hidden states and the influence of each token."""

from ._influence import token_influence

__all__ = ["token_influence"]
