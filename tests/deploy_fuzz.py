"""Malformed events and step inputs for every deploy entry point, and how each one ended.

Each generated input is a valid one with one field removed, set to `null` or to another JSON value
(at any depth the handler reads), or an arbitrary JSON value. It runs against the moto world, so a
near-valid input gets as far as it can: every outcome must be a result or a `DeployError`, and a
refusal of the input itself (`EventError`) must come before any call that changes something.

Used by tests/lambda/test_deploy_fuzz.py and bench/handler_faults_deploy.py.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.deploy_support import ACCOUNT, ENDPOINT, GROUP, REGION, SMOKE_TEST, package_event
from tests.faults import recording

ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/1"
READ_ONLY_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "AssumeRole")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)


def _step(kind: str = "deploy") -> dict[str, Any]:
    return {
        "kind": kind,
        "model_package_arn": ARN,
        "model_package_group": GROUP,
        "version": 1,
        "attempt": 1,
        "claim_arn": ARN,
        "execution_name": f"{GROUP}-v1-1",
        "endpoints": [{"endpoint": ENDPOINT, "smoke_test": SMOKE_TEST}],
        "include_prod": True,
        "rolled_back_from": None,
    }


def _endpoint_step(action: str) -> dict[str, Any]:
    step: dict[str, Any] = {
        "stage": "staging",
        "endpoint": ENDPOINT,
        "smoke_test": SMOKE_TEST,
        "model_package_arn": ARN,
        "execution_name": f"{GROUP}-v1-1",
    }
    if action != "deploy":
        step["deployment"] = {
            "endpoint_name": f"mlplatform-{ENDPOINT}-staging",
            "endpoint_config_name": "c",
            "model_name": "c",
            "mode": "realtime",
            "autoscaling": None,
            "previous_endpoint_config": None,
            "polls": 0,
            "state": "InProgress",
        }
    return {"action": action, "step": step}


VALID: dict[str, Callable[[], Any]] = {
    "start": lambda: package_event(),
    "reject": lambda: package_event(status="Rejected"),
    "approval": lambda: {"task_token": "token", "step": _step()},
    "record": lambda: {"outcome": "succeeded", "step": _step() | {"error": {"Error": "E", "Cause": "c"}}},
    "endpoint": lambda: _endpoint_step("deploy"),
}
VALID_VARIANTS: dict[str, list[Callable[[], Any]]] = {
    "record": [lambda: {"outcome": "failed", "step": _step("rollback") | {"error": {"Error": "E", "Cause": "c"}}}],
    "endpoint": [lambda: _endpoint_step("status"), lambda: _endpoint_step("smoke_test")],
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, child in value.items():
            found.append((*prefix, key))
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.append((*prefix, index))
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def _mutated(draw: Any, entry: str) -> Any:
    builders = [VALID[entry], *VALID_VARIANTS.get(entry, [])]
    base = copy.deepcopy(draw(st.sampled_from(builders))())
    path = draw(st.sampled_from(_paths(base)))
    node = base
    for key in path[:-1]:
        node = node[key]
    if draw(st.booleans()) and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = draw(st.none() | json_values)
    return base


def inputs(entry: str) -> Any:
    """Near-valid inputs (one field changed) most of the time, arbitrary JSON sometimes."""
    return _mutated(entry) | json_values


def classify(entry: str, event: Any) -> str:
    """`ok`, `typed`, `untyped:<Type>` or `late refusal:<field>` (an EventError after a call that changed something)."""
    from deployer import approval, endpoint, record, reject, start
    from deployer.errors import DeployError, EventError

    handler = {"start": start, "reject": reject, "approval": approval, "record": record, "endpoint": endpoint}[entry]
    with recording() as calls:
        try:
            handler.handler(copy.deepcopy(event), None)
        except EventError as exc:
            writes = [call for call in calls if not call.operation.startswith(READ_ONLY_PREFIXES)]
            return f"late refusal:{exc.field} after {writes[0]}" if writes else "typed"
        except DeployError:
            return "typed"
        except Exception as exc:  # the finding: an untyped exception escaped the handler
            return f"untyped:{type(exc).__name__}"
    return "ok"


def fuzz(entry: str, examples: int) -> Counter[str]:
    """Run `examples` generated inputs through `entry` in one moto world; the outcomes counted."""
    from tests.deploy_world import register, world

    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=examples, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(event=inputs(entry))
    def run(event: Any) -> None:
        _claim_deploying(created)
        outcome = classify(entry, event)
        outcomes[outcome] += 1
        if outcome.startswith(("untyped", "late")):
            FIRST_BAD.setdefault(f"{entry} {outcome}", event)

    with world() as created:
        register(created)
        run()
    return outcomes


def _claim_deploying(created: Any) -> None:
    """v1 deploying (attempt 1), so that a valid step input gets past the claim to every later call."""
    created.client("dynamodb").put_item(
        TableName="deployments",
        Item={
            "model_package_arn": {"S": ARN},
            "target": {"S": "deployment"},
            "status": {"S": "DEPLOYING"},
            "attempt": {"N": "1"},
            "updated_at": {"S": "2026-01-01T00:00:00Z"},
            "model_package_group": {"S": GROUP},
            "package_version": {"N": "1"},
        },
    )


ENTRIES = tuple(VALID)
FIRST_BAD: dict[str, Any] = {}
"""The first input of each bad outcome (to reproduce it)."""
