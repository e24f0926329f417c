"""Errors of the write-the-report step. Step Functions matches them by class name."""

from __future__ import annotations


class ReportError(Exception):
    """Base of every error this handler raises on purpose."""


class InvalidEventError(ReportError):
    """The event lacks the tuning job name, or a field is malformed (the message names the field)."""
