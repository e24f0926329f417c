"""Reusable constructs, one module per capability.

Every public construct is importable from here (``from sagemaker_platform.constructs import Endpoint``),
resolved lazily on first access, so importing one capability does not import the others.
"""

from __future__ import annotations

from typing import Any

from sagemaker_platform._lazy import lazy_exports
from sagemaker_platform.constructs._exports import CONSTRUCTS

__all__ = sorted(CONSTRUCTS)

_getattr, _dir = lazy_exports(__name__, CONSTRUCTS)


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first access (PEP 562)."""
    return _getattr(name)


def __dir__() -> list[str]:
    """The module's attributes and every public name, imported or not."""
    return _dir()
