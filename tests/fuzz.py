"""Malformed events for every handler entry point: mutate one field of a valid event, classify the outcome.

A valid event is a nested structure of dicts and lists; `Json(value)` marks a field that travels as a JSON
string (an SQS body, an SNS `Message`), so mutations reach inside it too. Each case changes one place
(a key deleted, a value replaced, `null` included) and the handler runs against `tests.offline_aws`.

Outcomes (`classify`):
- `ok`: the handler returned (the mutation was harmless, or a batch handler reported that record);
- `refused`: it raised one of the handler's typed errors before any write (`is_write`);
- `untyped`: any other exception (KeyError, TypeError, a botocore ParamValidationError/ClientError, …);
- `late`: a typed refusal that came after a write (the "refuse before any side effect" rule broken).

`exhaustive_cases` enumerates every (place x REPLACEMENTS) for the counts `make bench` prints;
the hypothesis tests draw places and arbitrary JSON values instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tests.faults import Call
from tests.offline_aws import Answer, is_write, offline_aws

Path = tuple[Any, ...]
DELETE = object()  # the mutation that removes a key (or list item)
# A fixed set of bad values covering the usual failure modes: missing, null, wrong type, empty, odd numbers.
REPLACEMENTS: tuple[Any, ...] = (DELETE, None, 0, -1, True, 1.5, "", "x", [], {}, [None], {"": None})


@dataclass(frozen=True)
class Json:
    """A field carried as a JSON string (`materialize` encodes it)."""

    value: Any


@dataclass(frozen=True)
class Target:
    """One entry point: a valid event, how to run it, its typed errors and the AWS answers it needs."""

    name: str
    valid_event: Any
    run: Callable[[Any], Any]
    typed: tuple[type[BaseException], ...]
    answers: Callable[[], dict[str, Answer]]


@dataclass(frozen=True)
class Outcome:
    kind: str  # ok | refused | untyped | late
    detail: str = ""


def materialize(value: Any) -> Any:
    """The event as the handler receives it: `Json` fields encoded as strings."""
    if isinstance(value, Json):
        return json.dumps(materialize(value.value))
    if isinstance(value, dict):
        return {key: materialize(item) for key, item in value.items()}
    if isinstance(value, list):
        return [materialize(item) for item in value]
    return value


def places(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every path into `value` (the root included), through dicts, lists and `Json` fields."""
    yield path
    if isinstance(value, Json):
        yield from places(value.value, (*path, Json))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(item, (*path, index))


def mutate(value: Any, path: Path, replacement: Any) -> Any:
    """A copy of `value` with the place at `path` replaced (or deleted, for `DELETE`)."""
    if not path:
        return None if replacement is DELETE else replacement
    head, rest = path[0], path[1:]
    if head is Json:
        return Json(mutate(value.value, rest, replacement)) if rest or replacement is not DELETE else None
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if not rest and replacement is DELETE:
        del copy[head]
    else:
        copy[head] = mutate(value[head], rest, replacement)
    return copy


def describe(path: Path, replacement: Any) -> str:
    where = ".".join("<json>" if part is Json else str(part) for part in path) or "<event>"
    what = "deleted" if replacement is DELETE else f"= {replacement!r}"[:60]
    return f"{where} {what}"


def classify(target: Target, event: Any) -> Outcome:
    """Run `target` on `event` (already materialized) offline and say how it ended."""
    calls: list[Call] = []
    try:
        # Handlers log each refused message with its traceback (by design); not wanted in a fuzz run's output.
        with offline_aws(target.answers()) as calls, _quiet():
            target.run(event)
    except target.typed as exc:
        writes = [str(call) for call in calls if is_write(call)]
        if writes:
            return Outcome("late", f"{type(exc).__name__} after {', '.join(writes)}")
        return Outcome("refused", type(exc).__name__)
    except Exception as exc:
        return Outcome("untyped", f"{type(exc).__name__}: {str(exc)[:120]}")
    return Outcome("ok")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def exhaustive_cases(target: Target) -> Iterator[tuple[str, Any]]:
    """(description, materialized event) for every place of the valid event x every replacement."""
    for path in places(target.valid_event):
        for replacement in REPLACEMENTS:
            if replacement is DELETE and not path:
                continue
            yield describe(path, replacement), materialize(mutate(target.valid_event, path, replacement))


def tally(target: Target) -> tuple[int, dict[str, int], list[str]]:
    """(cases, outcome kind -> count, descriptions of the untyped/late cases) over `exhaustive_cases`."""
    counts: dict[str, int] = {"ok": 0, "refused": 0, "untyped": 0, "late": 0}
    bad: list[str] = []
    cases = 0
    for description, event in exhaustive_cases(target):
        cases += 1
        outcome = classify(target, event)
        counts[outcome.kind] += 1
        if outcome.kind in ("untyped", "late"):
            bad.append(f"{description}: {outcome.detail}")
    return cases, counts, bad
