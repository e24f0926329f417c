"""Studio profile shards exist only while they hold a user, and the last user leaving one is still torn down.

The journey of a removal, hop by hop: two syntheses of the same domain (before and after the user leaves) →
the shard's nested stack is gone from the template → the domain's `Custom::StudioProfileCleanup` keeps its
logical id and its properties change, so CloudFormation sends it an Update → the Studio lifecycle handler,
given that Update, deletes the user's apps, private space and profile.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform.assets import handler_dir
from sagemaker_platform.constructs.studio import StudioDomain, StudioUser, profile_shard
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type, templates_of

HANDLER_DIR = handler_dir("studio_teardown")
if str(HANDLER_DIR) not in sys.path:
    sys.path.insert(0, str(HANDLER_DIR))  # the function's code root, as Lambda has it
events = importlib.import_module("studio_lifecycle.events")
lifecycle = importlib.import_module("studio_lifecycle.handler")

DOMAIN = "d-abcdefghijkl"
# Pinned in test_studio.py: each of these three is alone in its shard (15, 10, 14).
USERS = [StudioUser("alice"), StudioUser("bob", own_role=True), StudioUser("carol")]


def synth(outdir: Path, users: list[StudioUser], **props: Any) -> dict[str, dict[str, Any]]:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Studio")
    StudioDomain(stack, "Studio", domain_name="research", users=users, **props)
    return templates_of(app.synth())


def shard_stacks(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, "AWS::CloudFormation::Stack")


def profiles(templates: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """User profile name -> (template, logical id)."""
    return {
        resource["Properties"]["UserProfileName"]: (name, logical_id)
        for name, template in templates.items()
        for logical_id, resource in resources_of_type(template, "AWS::SageMaker::UserProfile").items()
    }


def cleanup(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = resources_of_type(template, "Custom::StudioProfileCleanup").items()
    return found


@pytest.fixture(scope="module")
def before_after(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    before = synth(tmp_path_factory.mktemp("before"), USERS)
    after = synth(tmp_path_factory.mktemp("after"), [u for u in USERS if u.name != "carol"])
    return before, after


class RecordingStudio:
    """The `StudioApi` calls profile removal makes, over one domain with carol's app and private space."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def describe_domain(self, domain_id: str) -> dict[str, Any]:
        return {"DomainId": domain_id, "Status": "InService"}

    def list_children(self, domain_id: str, kind: Any) -> list[dict[str, Any]]:
        if kind.list_key == "UserProfiles":
            names = [n for n in ("alice", "bob", "carol") if ("delete_user_profile", n) not in self.calls]
            return [{"UserProfileName": n, "Status": "InService"} for n in names]
        if ("delete_space", "carol-space") in self.calls:
            return []
        return [
            {
                "SpaceName": "carol-space",
                "Status": "InService",
                "OwnershipSettingsSummary": {"OwnerUserProfileName": "carol"},
                "SpaceSharingSettingsSummary": {"SharingType": "Private"},
            }
        ]

    def list_apps(self, domain_id: str, *, user_profile: str | None = None, space: str | None = None) -> list[Any]:
        owner = user_profile or space
        return [{"AppName": f"{owner}-app", "Status": "Deleted" if self.deleted(owner) else "InService"}]

    def deleted(self, owner: str | None) -> bool:
        return any(call[1] == f"{owner}-app" for call in self.calls)

    def delete_app(self, app: dict[str, Any]) -> None:
        self.calls.append(("delete_app", app["AppName"]))

    def delete_child(self, domain_id: str, kind: Any, name: str) -> None:
        self.calls.append((kind.delete_operation, name))


def test_given_two_users_then_only_their_two_shards_exist(tmp_path: Path) -> None:
    templates = synth(tmp_path, USERS[:2])
    shards = shard_stacks(templates["Studio"])
    assert len(shards) == 2
    assert {profile_shard(u.name, 16) for u in USERS[:2]} == {15, 10}
    assert all(len(t["Resources"]) > 0 for name, t in templates.items() if name != "Studio")


def test_given_no_users_then_no_shard_exists_and_the_cleanup_lists_nobody(tmp_path: Path) -> None:
    template = synth(tmp_path, [])["Studio"]
    assert shard_stacks(template) == {}
    assert cleanup(template)[1]["Properties"]["UserProfileNames"] == []


def test_given_the_last_user_of_a_shard_leaves_then_only_that_shard_goes_and_nobody_moves(
    before_after: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = before_after
    gone = set(shard_stacks(before["Studio"])) - set(shard_stacks(after["Studio"]))
    assert len(gone) == 1 and "Profiles14" in next(iter(gone))
    assert set(shard_stacks(after["Studio"])) < set(shard_stacks(before["Studio"]))  # the others keep their ids
    placed_before, placed_after = profiles(before), profiles(after)
    assert set(placed_before) - set(placed_after) == {"carol"}
    assert {name: placed_before[name] for name in placed_after} == placed_after
    # The domain, its key and the kept execution role are the same resources.
    for kind in ("AWS::SageMaker::Domain", "AWS::KMS::Key"):
        assert resources_of_type(before["Studio"], kind) == resources_of_type(after["Studio"], kind)


def test_given_the_last_user_of_a_shard_leaves_then_the_cleanup_update_deletes_its_apps_space_and_profile(
    before_after: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    before, after = before_after
    (old_id, old), (new_id, new) = cleanup(before["Studio"]), cleanup(after["Studio"])
    # Same logical id, outside the shards: CloudFormation updates it (a Delete would do nothing: RETAIN).
    assert old_id == new_id
    assert old["Properties"] != new["Properties"]
    assert "DependsOn" in new and not any(d.startswith("StudioProfiles14") for d in new["DependsOn"])

    def resolved(properties: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps({k: v for k, v in properties.items() if k != "ServiceToken"})
        domain_ref = json.dumps(properties["DomainId"])
        return json.loads(text.replace(domain_ref, json.dumps(DOMAIN)))

    event = {
        "RequestType": "Update",
        "PhysicalResourceId": f"{DOMAIN}/profile-cleanup",
        "ResourceProperties": resolved(new["Properties"]),
        "OldResourceProperties": resolved(old["Properties"]),
    }
    api = RecordingStudio()
    request = events.parse_request(event)
    polls = 1
    while not lifecycle.advance(request, api):  # the framework's isComplete polling
        polls += 1
        assert polls < 10, api.calls
    assert api.calls == [
        ("delete_app", "carol-app"),
        ("delete_app", "carol-space-app"),
        ("delete_space", "carol-space"),
        ("delete_user_profile", "carol"),
    ]


def test_given_the_same_users_twice_then_the_cleanup_properties_are_equal_so_a_redeploy_runs_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    first = synth(tmp_path_factory.mktemp("one"), list(reversed(USERS)))
    second = synth(tmp_path_factory.mktemp("two"), USERS)
    assert cleanup(first["Studio"]) == cleanup(second["Studio"])


def test_given_more_profile_names_than_one_cleanup_request_carries_then_synth_names_users(tmp_path: Path) -> None:
    users = [StudioUser(f"{index:04d}-" + "n" * 57) for index in range(2000)]  # 62-character names
    with pytest.raises(PropsError, match=r"users: 2000 profile names take \d+ bytes .*at most 120000"):
        synth(tmp_path, users, profile_shards=64)
