"""Studio lifecycle refusals (issue 14): a malformed custom resource event fails with the field named, before
any AWS call; a teardown for another domain than the resource's is refused instead of reported complete.

No AWS call may happen in these tests: `tests.faults.recording` proves it (nothing is stubbed or emulated).
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from sagemaker_platform.assets import handler_dir
from tests.faults import recording

HANDLER_DIR = handler_dir("studio_teardown")
if str(HANDLER_DIR) not in sys.path:
    sys.path.insert(0, str(HANDLER_DIR))  # the function's code root, as Lambda has it
aws = importlib.import_module("studio_lifecycle.aws")
events = importlib.import_module("studio_lifecycle.events")
errors = importlib.import_module("studio_lifecycle.errors")
handler = importlib.import_module("studio_lifecycle.handler")

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load(name: str, **changes: Any) -> dict[str, Any]:
    event = json.loads((EVENTS / name).read_text())
    for path, value in changes.items():
        *parents, key = path.split("__")
        target = event
        for parent in parents:
            target = target[parent]
        target[key] = value
    return event


def refused(event: dict[str, Any]) -> str:
    """The message of the typed refusal, asserting that no AWS call was made first."""
    with recording() as calls, pytest.raises(errors.MalformedEventError) as raised:
        handler.is_complete(events.parse_request(copy.deepcopy(event)), aws.StudioApi(sleep=lambda _: None))
    assert calls == []
    return str(raised.value)


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("ResourceProperties", None),
        *((where, value) for where in ("ResourceProperties", "OldResourceProperties") for value in (0, ["a", 3], [""])),
    ],
)
def test_given_profile_names_that_are_not_a_list_of_names_then_the_key_is_named(where: str, value: Any) -> None:
    event = load("studio_profile_cleanup_update.json", **{f"{where}__UserProfileNames": value})
    assert f"{where}.UserProfileNames" in refused(event)


def test_given_old_properties_without_profile_names_then_no_profile_counts_as_removed() -> None:
    # Older templates may lack the list in the old properties: nothing to clean, not an error.
    event = load("studio_profile_cleanup_update.json", OldResourceProperties__UserProfileNames=None)
    request = events.parse_request(event)
    assert handler.is_complete(request, aws.StudioApi(sleep=lambda _: None)) == {"IsComplete": True}


def test_given_a_teardown_whose_domain_id_differs_from_its_physical_id_then_it_is_refused() -> None:
    event = load("studio_domain_teardown_delete.json", ResourceProperties__DomainId="d-zzzzzzzzzzzz")
    assert "does not match the domain of PhysicalResourceId" in refused(event)


@pytest.mark.parametrize(
    ("key", "value"),
    [("DomainId", "x"), ("DomainId", None), ("VpcId", 7), ("HomeEfsFileSystemId", "efs-1")],
)
def test_given_a_teardown_with_a_malformed_id_then_the_key_is_named(key: str, value: Any) -> None:
    event = load("studio_domain_teardown_delete.json", **{f"ResourceProperties__{key}": value})
    assert f"ResourceProperties.{key}" in refused(event)


def test_given_a_teardown_without_home_file_system_then_it_is_accepted() -> None:
    event = load("studio_domain_teardown_delete.json", ResourceProperties__HomeEfsFileSystemId="")
    assert events.parse_request(event).properties["HomeEfsFileSystemId"] == ""


@pytest.mark.parametrize("value", [None, [""], ["not-an-arn"]])
def test_given_project_principals_that_are_not_iam_arns_then_the_key_is_named(value: Any) -> None:
    event = {
        "RequestType": "Update",
        "PhysicalResourceId": "sagemaker-projects-portfolio",
        "ResourceProperties": {"Kind": "Projects", "PrincipalArns": value},
        "OldResourceProperties": {"Kind": "Projects", "PrincipalArns": []},
    }
    assert "ResourceProperties.PrincipalArns" in refused(event)
