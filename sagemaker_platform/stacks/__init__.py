"""Stacks that compose the constructs; `build_platform` wires them from the platform config."""

from __future__ import annotations

from sagemaker_platform.stacks.platform import build_platform

__all__ = ["build_platform"]
