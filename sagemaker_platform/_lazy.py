"""Lazy re-exports for package `__init__` modules (PEP 562).

The package root and `sagemaker_platform.constructs` name their public classes without importing
them: a handler test or a bench that imports `sagemaker_platform.contracts` must not pay for (or
need) aws_cdk. A name is imported from its module on first access, then cached in the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for `package`, resolving each name of `exports` (name -> module) on demand.

    :param package: the ``__name__`` of the package whose attributes these are.
    :param exports: public name -> dotted module that defines it.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
