"""The project's error types.

Every refusal the library makes (a bad config key, a bad construct prop) is one of these, with a
message that names what was given and what is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class PlatformError(Exception):
    """Base class of every error this library raises on purpose."""


class ConfigError(PlatformError):
    """The platform config (cdk.json `platform` context or `-c config=PATH`) is invalid.

    Carries every problem found, so one synth reports them all in one message.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid platform config:\n{lines}")


class PropsError(PlatformError):
    """A construct was given props it cannot build. Raised once, with every problem found."""

    def __init__(self, construct: str, problems: Iterable[str]) -> None:
        self.construct = construct
        self.problems: tuple[str, ...] = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"{construct}: invalid props:\n{lines}")


class ProblemCollector:
    """Gathers validation problems and raises them together as one `PropsError`.

    Usage::

        problems = ProblemCollector("AsyncEndpoint")
        problems.check(min_instances <= max_instances,
                       f"min_instances={min_instances} must be <= max_instances={max_instances}")
        problems.raise_if_any()
    """

    def __init__(self, construct: str) -> None:
        self._construct = construct
        self._problems: list[str] = []

    def add(self, problem: str) -> None:
        self._problems.append(problem)

    def check(self, condition: bool, problem: str) -> None:
        if not condition:
            self._problems.append(problem)

    def raise_if_any(self) -> None:
        if self._problems:
            raise PropsError(self._construct, self._problems)


def check_keywords(construct: str, given: Mapping[str, object], props: type) -> None:
    """Refuse, as Python does for a written-out signature, keyword arguments that `props` (a TypedDict
    unpacked into a constructor's ``**props``) does not declare, or required ones missing: a TypedDict is not
    checked at run time, and a misspelt optional prop would otherwise be dropped silently."""
    declared: Mapping[str, object] = props.__annotations__
    required: frozenset[str] = props.__required_keys__  # type: ignore[attr-defined]
    unexpected = sorted(set(given) - set(declared))
    missing = sorted(required - set(given))
    if unexpected:
        raise TypeError(f"{construct}() got unexpected keyword arguments: {', '.join(unexpected)}")
    if missing:
        raise TypeError(f"{construct}() missing required keyword arguments: {', '.join(missing)}")
