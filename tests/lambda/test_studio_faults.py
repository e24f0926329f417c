"""The Studio lifecycle's isComplete under one fault at a time (issue 14): the teardown still finishes.

moto lacks the Studio calls this handler needs (apps, spaces and user profiles with their statuses), and a
botocore `Stubber` is a fixed queue of expected calls, which cannot follow re-polls whose calls depend on
what the previous poll deleted. So a small stateful fake of SageMaker answers at the same layer a Stubber
does (`tests.offline_aws`, after botocore validated each call). The Provider framework calls isComplete
again after an error (its waiter retries until the total timeout), which `poll_until_complete` mirrors.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from typing import Any

import boto3
import pytest

from sagemaker_platform.assets import handler_dir
from tests.faults import Call, Fault, fault_plan, inject
from tests.offline_aws import Answer, error, offline_aws

HANDLER_DIR = handler_dir("studio_teardown")
if str(HANDLER_DIR) not in sys.path:
    sys.path.insert(0, str(HANDLER_DIR))
aws = importlib.import_module("studio_lifecycle.aws")
events = importlib.import_module("studio_lifecycle.events")
handler = importlib.import_module("studio_lifecycle.handler")

DOMAIN = "d-abcdefghijkl"
MAX_POLLS = 20
EVENT = {
    "RequestType": "Update",
    "PhysicalResourceId": f"{DOMAIN}/profile-cleanup",
    "ResourceProperties": {"Kind": "ProfileCleanup", "DomainId": DOMAIN, "UserProfileNames": ["alice"]},
    "OldResourceProperties": {"Kind": "ProfileCleanup", "DomainId": DOMAIN, "UserProfileNames": ["alice", "bob"]},
}


def studio_api() -> Any:
    clients = {
        service: boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        for service in ("sagemaker", "efs", "ec2", "servicecatalog")
    }
    return aws.StudioApi(clients, sleep=lambda _: None)


class FakeStudio:
    """alice and bob, bob with a JupyterLab app and a private space running an app; deletions take one poll."""

    def __init__(self) -> None:
        self.profiles = {"alice": "InService", "bob": "InService"}
        self.spaces = {"bob-space": "InService"}
        self.apps = {
            ("bob", None, "default"): "InService",
            (None, "bob-space", "default"): "InService",
            ("alice", None, "default"): "InService",
        }
        self.deletes: list[str] = []

    def tick(self) -> None:
        """Between polls, what was deleting is gone."""
        self.apps = {key: ("Deleted" if s == "Deleting" else s) for key, s in self.apps.items()}
        self.spaces = {name: s for name, s in self.spaces.items() if s != "Deleting"}
        self.profiles = {name: s for name, s in self.profiles.items() if s != "Deleting"}

    def answers(self) -> dict[str, Answer]:
        def list_apps(params: dict[str, Any]) -> dict[str, Any]:
            apps = [
                {
                    "DomainId": DOMAIN,
                    "AppType": "JupyterLab",
                    "AppName": name,
                    "Status": status,
                    **({"UserProfileName": user} if user else {"SpaceName": space}),
                }
                for (user, space, name), status in self.apps.items()
                if params.get("UserProfileNameEquals") in (None, user)
                and params.get("SpaceNameEquals") in (None, space)
            ]
            return {"Apps": apps}

        def delete_app(params: dict[str, Any]) -> dict[str, Any]:
            key = (params.get("UserProfileName"), params.get("SpaceName"), params["AppName"])
            self.deletes.append(f"app {key}")
            self.apps[key] = "Deleting"
            return {}

        def delete(kind: str, store: dict[str, str], name_key: str) -> Answer:
            def answer(params: dict[str, Any]) -> dict[str, Any]:
                name = params[name_key]
                if name not in store:
                    return error("ResourceNotFound")
                self.deletes.append(f"{kind} {name}")
                store[name] = "Deleting"
                return {}

            return answer

        return {
            "DescribeDomain": {"DomainId": DOMAIN, "Status": "InService"},
            "ListUserProfiles": lambda _: {
                "UserProfiles": [
                    {"DomainId": DOMAIN, "UserProfileName": n, "Status": s} for n, s in self.profiles.items()
                ]
            },
            "ListSpaces": lambda _: {
                "Spaces": [
                    {
                        "DomainId": DOMAIN,
                        "SpaceName": name,
                        "Status": status,
                        "OwnershipSettingsSummary": {"OwnerUserProfileName": "bob"},
                        "SpaceSharingSettingsSummary": {"SharingType": "Private"},
                    }
                    for name, status in self.spaces.items()
                ]
            },
            "ListApps": list_apps,
            "DeleteApp": delete_app,
            "DeleteSpace": delete("space", self.spaces, "SpaceName"),
            "DeleteUserProfile": delete("profile", self.profiles, "UserProfileName"),
        }


def poll_until_complete(studio: FakeStudio, fault: Fault | None = None) -> tuple[int, bool]:
    """isComplete polls (an error is retried by the framework); (polls, whether the fault fired).

    One `inject` block spans every poll, so a fault's occurrence counts across polls, as the plan does.
    """
    request = events.parse_request(EVENT)
    api = studio_api()
    with inject(fault) if fault is not None else contextlib.nullcontext() as injection:
        for poll in range(1, MAX_POLLS + 1):
            with offline_aws(studio.answers()):
                try:
                    done = handler.is_complete(request, api)["IsComplete"]
                except Exception:
                    if fault is None:
                        raise
                    done = False  # the Provider framework's waiter retries a failed isComplete
            if done:
                return poll, bool(injection and injection.fired)
            studio.tick()
    raise AssertionError(f"the profile cleanup did not complete in {MAX_POLLS} polls")


def plan() -> list[Fault]:
    from tests.faults import recording

    studio = FakeStudio()
    calls: list[Call] = []
    request = events.parse_request(EVENT)
    api = studio_api()
    for _ in range(MAX_POLLS):
        with recording() as polled, offline_aws(studio.answers()):
            done = handler.is_complete(request, api)["IsComplete"]
        calls += polled
        if done:
            return fault_plan(calls)
        studio.tick()
    raise AssertionError("the fault-free cleanup did not complete")


PLAN = plan()


def test_given_no_fault_then_bob_his_apps_and_his_private_space_are_deleted_and_alice_is_kept() -> None:
    studio = FakeStudio()
    poll_until_complete(studio)
    assert set(studio.profiles) == {"alice"} and studio.spaces == {}
    assert studio.apps[("alice", None, "default")] == "InService"
    assert len(PLAN) >= 4 * 8


@pytest.mark.parametrize("fault", PLAN, ids=str)
def test_given_one_fault_then_the_cleanup_still_completes_with_the_same_result(fault: Fault) -> None:
    studio = FakeStudio()
    _, fired = poll_until_complete(studio, fault)
    assert fired
    assert set(studio.profiles) == {"alice"} and studio.spaces == {}
    assert studio.apps[("alice", None, "default")] == "InService"
    assert sorted(set(studio.deletes)) == sorted(
        ["app ('bob', None, 'default')", "app (None, 'bob-space', 'default')", "space bob-space", "profile bob"]
    )
