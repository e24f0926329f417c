"""Errors of the tuning request builder. Step Functions matches them by class name."""

from __future__ import annotations


class TuningRequestError(Exception):
    """Base of every error this handler raises on purpose."""


class InvalidSpecError(TuningRequestError):
    """The tuning spec (execution input or config) is invalid; nothing was called on AWS."""


class InvalidInputError(TuningRequestError):
    """The execution input names no spec, an unknown spec, or both a spec name and a spec."""
