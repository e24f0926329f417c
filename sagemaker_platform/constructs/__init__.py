"""Reusable constructs, one module per capability.

Every public construct is importable from here (``from sagemaker_platform.constructs import Endpoint``),
resolved lazily on first access, so importing one capability does not import the others.
"""

from __future__ import annotations

from sagemaker_platform._lazy import lazy_exports
from sagemaker_platform.constructs._exports import CONSTRUCTS

__all__ = sorted(CONSTRUCTS)

# PEP 562: a public name is imported from its module on first access; dir() lists them all.
__getattr__, __dir__ = lazy_exports(__name__, CONSTRUCTS)
