"""The one error every part of a policy's parsing raises, in a module of its own so that they share it."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy document that is not one: says what is wrong and where (``Statement[1].Effect``)."""
