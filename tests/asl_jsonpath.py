"""A small Amazon States Language runner for JSONPath workflows of SDK tasks, to run a synthesized definition;
`next_retry` is shared with the JSONata runner of `tests/constructs/test_tuning_flow.py`.

What it implements, as the ASL specification states it (https://states-language.net/spec.html): `Choice`
(`And`, `Variable` with `IsPresent` and `StringEquals`; a `Variable` whose path is absent fails the execution with
`States.Runtime`), `Task` (its `Retry`: the first retrier naming the error, or `States.ALL`, counts its own
attempts, `MaxAttempts: 0` never retries; then its `Catch`), `Succeed` and `Fail`. Task results are discarded
(`End` or `Next` with the state's input), which is all the workflows run here do. Anything else raises, so a
definition using more is not run wrongly. Waits between retries are recorded, not slept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class TaskError(Exception):
    """What a task's service call failed with, as Step Functions names it (`SageMaker.ThrottlingException`)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class Execution:
    """How a run ended: `status` SUCCEEDED or FAILED (with `error`), the states entered, the calls made."""

    status: str = "RUNNING"
    error: str | None = None
    states: list[str] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (state, parameters) of every attempt
    retry_waits: list[float] = field(default_factory=list)  # the nominal interval before each retry


_ABSENT = object()


def _path(document: Any, path: str) -> Any:
    if path == "$":
        return document
    if not path.startswith("$."):
        raise NotImplementedError(f"path {path!r}")
    for key in path[2:].split("."):
        if not isinstance(document, Mapping) or key not in document:
            return _ABSENT
        document = document[key]
    return document


def _matches(rule: Mapping[str, Any], state_input: Any) -> bool:
    if "And" in rule:
        return all(_matches(item, state_input) for item in rule["And"])
    value = _path(state_input, rule["Variable"])
    if "IsPresent" in rule:
        return (value is not _ABSENT) == rule["IsPresent"]
    if value is _ABSENT:
        raise TaskError("States.Runtime")  # an absent Variable fails the execution
    if "StringEquals" in rule:
        return isinstance(value, str) and value == rule["StringEquals"]
    raise NotImplementedError(f"choice rule {sorted(rule)}")


def run(
    definition: Mapping[str, Any], execution_input: Any, call: Callable[[str, str, dict[str, Any]], Any]
) -> Execution:
    """Run `definition` on `execution_input`; `call(state, resource, parameters)` answers each task attempt or raises
    `TaskError`."""
    execution = Execution()
    name: str = definition["StartAt"]
    while True:
        state = definition["States"][name]
        execution.states.append(name)
        kind = state["Type"]
        try:
            if kind == "Succeed":
                execution.status = "SUCCEEDED"
                return execution
            if kind == "Fail":
                execution.status, execution.error = "FAILED", state.get("Error")
                return execution
            if kind == "Choice":
                name = next(
                    (rule["Next"] for rule in state["Choices"] if _matches(rule, execution_input)), state.get("Default")
                )
                if name is None:
                    raise TaskError("States.NoChoiceMatched")
                continue
            if kind != "Task":
                raise NotImplementedError(f"state type {kind}")
            _attempt(name, state, execution, call)
        except TaskError as failure:
            catcher = first_handler(state.get("Catch", []), failure.error)
            if catcher is None:
                execution.status, execution.error = "FAILED", failure.error
                return execution
            name = catcher["Next"]
            continue
        if state.get("End"):
            execution.status = "SUCCEEDED"
            return execution
        name = state["Next"]


def _attempt(
    name: str, state: Mapping[str, Any], execution: Execution, call: Callable[[str, str, dict[str, Any]], Any]
) -> None:
    retried: dict[int, int] = {}
    while True:
        execution.calls.append((name, state.get("Parameters", {})))
        try:
            call(name, state["Resource"], state.get("Parameters", {}))
            return
        except TaskError as failure:
            wait = next_retry(state.get("Retry", []), failure.error, retried)
            if wait is None:
                raise
            execution.retry_waits.append(wait)


def next_retry(retriers: list[Mapping[str, Any]], error: str, retried: dict[int, int]) -> float | None:
    """The nominal wait before retrying a task that failed with `error`, counting the attempt in `retried` (per
    retrier, across the task's attempts); None when no retrier names it or its attempts are spent (then the
    task's Catch decides). The same in JSONPath and JSONata definitions."""
    retrier = first_handler(retriers, error)
    if retrier is None:
        return None
    index = retriers.index(retrier)
    attempts = retried.get(index, 0)
    if attempts >= retrier.get("MaxAttempts", 3):
        return None
    retried[index] = attempts + 1
    return float(retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempts)


def first_handler(handlers: list[Mapping[str, Any]], error: str) -> Mapping[str, Any] | None:
    """The first retrier or catcher naming `error` (`States.ALL` names every error but `States.Runtime`)."""
    for handler in handlers:
        names = handler["ErrorEquals"]
        if error in names or ("States.ALL" in names and error != "States.Runtime"):
            return handler
    return None
