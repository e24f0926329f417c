"""`child_once`: a resource a scope holds at most one of, made by its first user and shared by the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from constructs import Construct, IConstruct

T = TypeVar("T", bound=IConstruct)


def child_once(scope: Construct, id: str, kind: type[T], create: Callable[[], T]) -> T:
    """`scope`'s child `id`: the one made earlier, or `create()`'s (which must add it to `scope` as `id`).

    Construct ids are unique per scope, so a second `create` would fail; a child of another `kind` under `id`
    is a naming clash, refused with a message naming both.
    """
    existing = scope.node.try_find_child(id)
    if existing is None:
        return create()
    if not isinstance(existing, kind):
        raise TypeError(f"{scope.node.path}/{id} is a {type(existing).__name__}, not a {kind.__name__}")
    return existing
