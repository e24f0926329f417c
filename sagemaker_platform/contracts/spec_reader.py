"""Reading a spec (a JSON-like mapping) key by key, collecting every problem instead of stopping at the first.

Standard library only: a contract, staged into the handler assets with the others. `tuning_spec` reads tuning
specs with it; `Problem` and `SpecError` are re-exported there.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec: the dotted key inside the spec, the value given, what is allowed."""

    path: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"`{self.path}` = {json.dumps(self.value, default=str)}: {self.message}"


class SpecError(ValueError):
    """A tuning spec is invalid. Carries every problem found."""

    def __init__(self, problems: Sequence[Problem], *, where: str = "tuning spec") -> None:
        self.problems = tuple(problems)
        super().__init__(f"invalid {where}:\n" + "\n".join(f"  - {p}" for p in self.problems))


class SpecReader:
    """Reads typed values out of nested mappings, recording a `Problem` for each bad one."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, value: Any, message: str) -> None:
        """Record a problem at `path` (dotted, inside the spec) with the value given and what is allowed."""
        self.problems.append(Problem(path, value, message))

    def mapping(self, data: Any, path: str, keys: Mapping[str, bool]) -> dict[str, Any] | None:
        """`data` as a dict if it is a mapping with only `keys` (name -> required), else None."""
        if not isinstance(data, Mapping):
            self.add(path, data, "must be a mapping")
            return None
        unknown = sorted(str(k) for k in data if k not in keys)
        if unknown:
            self.add(path, unknown, f"unknown key(s); allowed keys: {', '.join(sorted(keys))}")
        for key, required in keys.items():
            if required and key not in data:
                self.add(join_path(path, key), None, "required key is missing")
            elif required and data[key] is None:
                # null is not a value: without this, readers that treat None as "absent" would drop it silently.
                self.add(join_path(path, key), None, "required key is null; give it a value")
        return dict(data)

    def section(self, data: Mapping[str, Any], key: str, keys: Mapping[str, bool]) -> dict[str, Any] | None:
        """The optional mapping `data[key]` with only `keys` (name -> required); None when absent or refused."""
        if key not in data:
            return None
        return self.mapping(data[key], key, keys)

    def named_entries(
        self, data: Mapping[str, Any], key: str, keys: Mapping[str, bool], hint: str
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """(name, path, entry) for each entry of the mapping `data[key]` (name -> mapping with `keys`), sorted."""
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, Mapping) or not value:
            self.add(key, value, hint)
            return []
        result = []
        for name in sorted(value):
            entry = self.mapping(value[name], f"{key}.{name}", keys)
            if entry is not None:
                result.append((str(name), f"{key}.{name}", entry))
        return result

    def string(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        pattern: re.Pattern[str] | None = None,
        allowed: Sequence[str] | None = None,
        hint: str = "",
    ) -> str | None:
        """`data[key]`: a non-empty string, one of `allowed`, matching `pattern`; None when absent or refused.

        `path` is where `data` sits in the spec (`""` at the top); a refusal names `path.key`. `hint` replaces the
        pattern in the message when the value does not match.
        """
        value = data.get(key)
        where = join_path(path, key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.add(where, value, "must be a non-empty string")
            return None
        if allowed is not None and value not in allowed:
            self.add(where, value, f"must be one of {', '.join(allowed)}")
            return None
        if pattern is not None and not pattern.match(value):
            self.add(where, value, hint or f"must match {pattern.pattern}")
            return None
        return value

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        minimum: int,
        maximum: int,
        default: int | None = None,
        hint: str = "",
    ) -> int | None:
        """`data[key]`: an integer (not a bool) from `minimum` to `maximum`; `default` when absent, None if refused.

        A null value gives None. `hint` is appended to the range in the message (e.g. the quota that sets `maximum`).
        """
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(join_path(path, key), value, "must be an integer")
            return None
        if not minimum <= value <= maximum:
            self.add(join_path(path, key), value, f"must be between {minimum} and {maximum}{hint}")
            return None
        return value

    def number(self, data: Mapping[str, Any], key: str, path: str) -> float | None:
        """`data[key]` as a float: required, an int or a float (not a bool); None when absent or refused."""
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(join_path(path, key), value, "must be a number")
            return None
        return float(value)

    def boolean(self, data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        """`data[key]`: true or false; `default` when absent or refused."""
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.add(join_path(path, key), value, "must be true or false")
            return default
        return value

    def string_list(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        *,
        minimum: int,
        maximum: int,
        pattern: re.Pattern[str] | None = None,
        hint: str = "",
    ) -> tuple[str, ...]:
        """`data[key]`: a list of unique non-empty strings, `minimum` to `maximum` items, each matching `pattern`.

        Absent counts as an empty list. Every problem is recorded; the strings are returned unless the value is
        not a list of strings (then an empty tuple). `hint` replaces the pattern in an item's message.
        """
        value = data.get(key)
        where = join_path(path, key)
        if value is None:
            value = []
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
            self.add(where, value, "must be a list of non-empty strings")
            return ()
        if not minimum <= len(value) <= maximum:
            self.add(where, value, f"must hold between {minimum} and {maximum} items")
        if len(set(value)) != len(value):
            self.add(where, value, "items must be unique")
        if pattern is not None:
            for index, item in enumerate(value):
                if not pattern.match(item):
                    self.add(f"{where}[{index}]", item, hint or f"must match {pattern.pattern}")
        return tuple(value)


def join_path(path: str, key: str) -> str:
    """`path.key`, or `key` at the top level."""
    return f"{path}.{key}" if path else key
