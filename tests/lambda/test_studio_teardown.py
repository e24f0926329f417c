"""The Studio lifecycle handler (profile cleanup, domain teardown, projects) against botocore Stubbers.

moto implements none of the calls this handler depends on in a usable way (SageMaker ListApps/DeleteApp/
ListSpaces/DeleteSpace with app and space statuses, DeleteDomain's RetentionPolicy, EFS tags on Studio's
home file system), so every AWS call is a botocore `Stubber` expectation: the stubs assert each call's
operation, parameters and order, and fail the test on any call that was not expected.
"""

from __future__ import annotations

import copy
import datetime
import importlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from sagemaker_platform.assets import handler_dir

HANDLER_DIR = handler_dir("studio_teardown")
if str(HANDLER_DIR) not in sys.path:
    sys.path.insert(0, str(HANDLER_DIR))  # the function's code root, as Lambda has it

aws = importlib.import_module("studio_lifecycle.aws")
events = importlib.import_module("studio_lifecycle.events")
errors = importlib.import_module("studio_lifecycle.errors")
handler = importlib.import_module("studio_lifecycle.handler")
steps = importlib.import_module("studio_lifecycle.steps")

EVENTS = Path(__file__).resolve().parent.parent / "events"
DOMAIN = "d-abcdefghijkl"
DOMAIN_ARN = f"arn:aws:sagemaker:us-east-1:111111111111:domain/{DOMAIN}"
FS = "fs-0123456789abcdef0"
VPC = "vpc-0123456789abcdef0"
SUBNET = "subnet-0123456789ab"
INBOUND, OUTBOUND = steps.nfs_security_group_names(DOMAIN)


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


class World:
    """Stubbed clients of every service the handler calls, and the `StudioApi` over them."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        clients = {
            service: boto3.client(
                service, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
            )
            for service in ("sagemaker", "efs", "ec2", "servicecatalog")
        }
        self.stubs = {service: Stubber(client) for service, client in clients.items()}
        self.api = aws.StudioApi(clients, sleep=self.sleeps.append)

    def expect(self, service: str, operation: str, response: dict[str, Any], params: dict[str, Any]) -> None:
        self.stubs[service].add_response(operation, response, params)

    def fail(self, service: str, operation: str, code: str, params: dict[str, Any]) -> None:
        self.stubs[service].add_client_error(
            operation, service_error_code=code, http_status_code=400, expected_params=params
        )

    # --- SageMaker shorthands ---

    def domain(self, status: str | None, **extra: Any) -> None:
        if status is None:
            self.fail("sagemaker", "describe_domain", "ResourceNotFound", {"DomainId": DOMAIN})
        else:
            self.expect(
                "sagemaker", "describe_domain", {"DomainId": DOMAIN, "Status": status, **extra}, {"DomainId": DOMAIN}
            )

    def apps(self, apps: list[dict[str, Any]], **filters: str) -> None:
        self.expect("sagemaker", "list_apps", {"Apps": apps}, {"DomainIdEquals": DOMAIN, **filters})

    def spaces(self, spaces: list[dict[str, Any]]) -> None:
        self.expect("sagemaker", "list_spaces", {"Spaces": spaces}, {"DomainIdEquals": DOMAIN})

    def profiles(self, profiles: list[dict[str, Any]]) -> None:
        self.expect("sagemaker", "list_user_profiles", {"UserProfiles": profiles}, {"DomainIdEquals": DOMAIN})

    def __enter__(self) -> World:
        for stub in self.stubs.values():
            stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        for stub in self.stubs.values():
            stub.deactivate()

    def assert_done(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def world() -> Iterator[World]:
    with World() as w:
        yield w
    w.assert_done()


def app(
    name: str, status: str, *, user: str | None = None, space: str | None = None, kind: str = "JupyterLab"
) -> dict[str, Any]:
    owner = {"SpaceName": space} if space else {"UserProfileName": user}
    return {"DomainId": DOMAIN, "AppType": kind, "AppName": name, "Status": status, **owner}


def delete_app_params(entry: dict[str, Any]) -> dict[str, Any]:
    owner = {"SpaceName": entry["SpaceName"]} if "SpaceName" in entry else {"UserProfileName": entry["UserProfileName"]}
    return {"DomainId": DOMAIN, "AppType": entry["AppType"], "AppName": entry["AppName"], **owner}


def space(name: str, status: str, *, owner: str = "alice", sharing: str = "Private") -> dict[str, Any]:
    return {
        "DomainId": DOMAIN,
        "SpaceName": name,
        "Status": status,
        "OwnershipSettingsSummary": {"OwnerUserProfileName": owner},
        "SpaceSharingSettingsSummary": {"SharingType": sharing},
    }


def profile(name: str, status: str = "InService") -> dict[str, Any]:
    return {"DomainId": DOMAIN, "UserProfileName": name, "Status": status}


def file_system(state: str = "available", owner: str = DOMAIN_ARN) -> dict[str, Any]:
    return {
        "FileSystems": [
            {
                "OwnerId": "111111111111",
                "CreationToken": "studio",
                "FileSystemId": FS,
                "CreationTime": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                "LifeCycleState": state,
                "NumberOfMountTargets": 2,
                "SizeInBytes": {"Value": 6144},
                "PerformanceMode": "generalPurpose",
                "Tags": [{"Key": "ManagedByAmazonSageMakerResource", "Value": owner}],
            }
        ]
    }


def nfs_groups(*names: str) -> dict[str, Any]:
    groups = []
    for name in names:
        other = OUTBOUND if name == INBOUND else INBOUND
        rule = [
            {
                "IpProtocol": "tcp",
                "FromPort": 2049,
                "ToPort": 2049,
                "UserIdGroupPairs": [{"GroupId": f"sg-{other[-12:]}"}],
            }
        ]
        groups.append(
            {
                "GroupId": f"sg-{name[-12:]}",
                "GroupName": name,
                "VpcId": VPC,
                "IpPermissions": rule,
                "IpPermissionsEgress": rule,
            }
        )
    return {"SecurityGroups": groups}


def expect_nfs_group_deletion(world: World, response: dict[str, Any]) -> None:
    world.expect(
        "ec2",
        "describe_security_groups",
        response,
        {"Filters": [{"Name": "vpc-id", "Values": [VPC]}, {"Name": "group-name", "Values": [INBOUND, OUTBOUND]}]},
    )
    for group in response["SecurityGroups"]:
        if group["GroupName"] not in (INBOUND, OUTBOUND):
            continue
        gid = group["GroupId"]
        world.expect(
            "ec2",
            "revoke_security_group_ingress",
            {"Return": True},
            {"GroupId": gid, "IpPermissions": group["IpPermissions"]},
        )
        world.expect(
            "ec2",
            "revoke_security_group_egress",
            {"Return": True},
            {"GroupId": gid, "IpPermissions": group["IpPermissionsEgress"]},
        )
    for group in response["SecurityGroups"]:
        if group["GroupName"] in (INBOUND, OUTBOUND):
            world.expect("ec2", "delete_security_group", {}, {"GroupId": group["GroupId"]})


def teardown_request() -> Any:
    return events.parse_request(load_event("studio_domain_teardown_delete.json"))


# --- domain teardown -------------------------------------------------------------------------------------


def test_given_a_running_domain_when_torn_down_then_apps_spaces_profiles_domain_efs_and_nfs_groups_go_in_order(
    world: World,
) -> None:
    request = teardown_request()
    user_app, space_app = app("default", "InService", user="alice"), app("default", "InService", space="lab")
    # Poll 1: every app of profiles and spaces is deleted first.
    world.domain("InService")
    world.apps([user_app, space_app])
    world.expect("sagemaker", "delete_app", {}, delete_app_params(user_app))
    world.expect("sagemaker", "delete_app", {}, delete_app_params(space_app))
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 2: apps gone (listed as Deleted) -> spaces.
    world.domain("InService")
    world.apps([{**user_app, "Status": "Deleted"}, {**space_app, "Status": "Deleted"}])
    world.spaces([space("lab", "InService")])
    world.expect("sagemaker", "delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "lab"})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 3: spaces gone -> profiles.
    world.domain("InService")
    world.apps([])
    world.spaces([])
    world.profiles([profile("alice")])
    world.expect("sagemaker", "delete_user_profile", {}, {"DomainId": DOMAIN, "UserProfileName": "alice"})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 4: profiles gone -> the domain, deleting its home EFS with it.
    world.domain("InService")
    world.apps([])
    world.spaces([])
    world.profiles([])
    world.expect(
        "sagemaker", "delete_domain", {}, {"DomainId": DOMAIN, "RetentionPolicy": {"HomeEfsFileSystem": "Delete"}}
    )
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 5: domain still deleting -> wait.
    world.domain("Deleting")
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 6: domain gone, EFS left behind with its mount targets -> mount targets first.
    world.domain(None)
    world.expect("efs", "describe_file_systems", file_system(), {"FileSystemId": FS})
    targets = [
        {"MountTargetId": f"fsmt-0000000{i}", "FileSystemId": FS, "SubnetId": SUBNET, "LifeCycleState": "available"}
        for i in (1, 2)
    ]
    world.expect("efs", "describe_mount_targets", {"MountTargets": targets}, {"FileSystemId": FS})
    for target in targets:
        world.expect("efs", "delete_mount_target", {}, {"MountTargetId": target["MountTargetId"]})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 7: no mount targets -> the file system.
    world.domain(None)
    world.expect("efs", "describe_file_systems", file_system(), {"FileSystemId": FS})
    world.expect("efs", "describe_mount_targets", {"MountTargets": []}, {"FileSystemId": FS})
    world.expect("efs", "delete_file_system", {}, {"FileSystemId": FS})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 8: EFS gone -> the two NFS groups, rules revoked first (they reference each other).
    world.domain(None)
    world.fail("efs", "describe_file_systems", "FileSystemNotFound", {"FileSystemId": FS})
    expect_nfs_group_deletion(world, nfs_groups(INBOUND, OUTBOUND))
    assert handler.is_complete(request, world.api) == {"IsComplete": True}


def test_given_a_partially_deleted_domain_when_torn_down_again_then_only_what_is_left_is_deleted(world: World) -> None:
    # A previous attempt deleted the domain, its EFS and the inbound group before timing out.
    world.domain(None)
    world.fail("efs", "describe_file_systems", "FileSystemNotFound", {"FileSystemId": FS})
    expect_nfs_group_deletion(world, nfs_groups(OUTBOUND))
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": True}


def test_given_apps_still_deleting_when_polled_then_nothing_new_is_deleted_and_it_waits(world: World) -> None:
    world.domain("InService")
    world.apps([app("default", "Deleting", user="alice"), app("kg", "Pending", user="alice", kind="KernelGateway")])
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": False}


@pytest.mark.parametrize("status", ["Pending", "Updating", "Deleting"])
def test_given_a_domain_that_is_not_settled_then_it_waits_without_deleting_anything(world: World, status: str) -> None:
    world.domain(status)
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": False}


def test_given_nothing_left_when_torn_down_then_it_completes_at_once(world: World) -> None:
    world.domain(None)
    world.fail("efs", "describe_file_systems", "FileSystemNotFound", {"FileSystemId": FS})
    expect_nfs_group_deletion(world, {"SecurityGroups": []})
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": True}


def test_given_a_space_whose_deletion_failed_then_the_error_reaches_cloudformation(world: World) -> None:
    world.domain("InService")
    world.apps([])
    world.spaces([space("lab", "Delete_Failed")])
    world.expect(
        "sagemaker",
        "describe_space",
        {"DomainId": DOMAIN, "SpaceName": "lab", "Status": "Delete_Failed", "FailureReason": "EBS volume busy"},
        {"DomainId": DOMAIN, "SpaceName": "lab"},
    )
    with pytest.raises(errors.DeletionFailedError, match=r"space of domain d-abcdefghijkl, 'lab': EBS volume busy"):
        handler.is_complete(teardown_request(), world.api)


def test_given_a_domain_whose_deletion_failed_then_the_error_reaches_cloudformation(world: World) -> None:
    world.domain("Delete_Failed", FailureReason="internal error")
    with pytest.raises(errors.DeletionFailedError, match="internal error"):
        handler.is_complete(teardown_request(), world.api)


def test_given_a_file_system_not_tagged_for_this_domain_then_it_is_never_deleted(world: World) -> None:
    world.domain(None)
    other = "arn:aws:sagemaker:us-east-1:111111111111:domain/d-otherdomain1"
    world.expect("efs", "describe_file_systems", file_system(owner=other), {"FileSystemId": FS})
    with pytest.raises(errors.DeletionFailedError, match="refusing to delete"):
        handler.is_complete(teardown_request(), world.api)


def test_given_other_groups_in_the_answer_then_only_the_two_named_for_this_domain_are_touched(world: World) -> None:
    world.domain(None)
    world.fail("efs", "describe_file_systems", "FileSystemNotFound", {"FileSystemId": FS})
    response = nfs_groups(INBOUND, OUTBOUND)
    response["SecurityGroups"].append(
        {"GroupId": "sg-0ther", "GroupName": "security-group-for-inbound-nfs-d-otherdomain1", "VpcId": VPC}
    )
    expect_nfs_group_deletion(world, response)  # expects revokes and deletes for the two named groups only
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": True}


def test_given_a_group_still_in_use_when_deleting_then_it_waits_instead_of_failing(world: World) -> None:
    world.domain(None)
    world.fail("efs", "describe_file_systems", "FileSystemNotFound", {"FileSystemId": FS})
    response = nfs_groups(INBOUND)
    world.expect(
        "ec2",
        "describe_security_groups",
        response,
        {"Filters": [{"Name": "vpc-id", "Values": [VPC]}, {"Name": "group-name", "Values": [INBOUND, OUTBOUND]}]},
    )
    group = response["SecurityGroups"][0]
    world.expect(
        "ec2",
        "revoke_security_group_ingress",
        {"Return": True},
        {"GroupId": group["GroupId"], "IpPermissions": group["IpPermissions"]},
    )
    world.expect(
        "ec2",
        "revoke_security_group_egress",
        {"Return": True},
        {"GroupId": group["GroupId"], "IpPermissions": group["IpPermissionsEgress"]},
    )
    world.fail("ec2", "delete_security_group", "DependencyViolation", {"GroupId": group["GroupId"]})
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": False}


# --- throttling --------------------------------------------------------------------------------------------


def test_given_throttling_when_listing_apps_then_the_call_is_retried_with_backoff(world: World) -> None:
    world.domain("InService")
    world.fail("sagemaker", "list_apps", "ThrottlingException", {"DomainIdEquals": DOMAIN})
    world.fail("sagemaker", "list_apps", "ThrottlingException", {"DomainIdEquals": DOMAIN})
    world.apps([])
    world.spaces([])
    world.profiles([])
    world.expect(
        "sagemaker", "delete_domain", {}, {"DomainId": DOMAIN, "RetentionPolicy": {"HomeEfsFileSystem": "Delete"}}
    )
    assert handler.is_complete(teardown_request(), world.api) == {"IsComplete": False}
    assert world.sleeps == [1.0, 2.0]


def test_given_throttling_that_never_stops_then_the_call_fails_with_the_code() -> None:
    with World() as world:
        for _ in range(aws._MAX_ATTEMPTS):
            world.fail("sagemaker", "describe_domain", "ThrottlingException", {"DomainId": DOMAIN})
        with pytest.raises(errors.AwsCallError, match="ThrottlingException"):
            handler.is_complete(teardown_request(), world.api)
        world.assert_done()
    assert len(world.sleeps) == aws._MAX_ATTEMPTS - 1


def test_given_an_access_denied_then_it_is_not_retried_and_fails(world: World) -> None:
    world.fail("sagemaker", "describe_domain", "AccessDeniedException", {"DomainId": DOMAIN})
    with pytest.raises(errors.AwsCallError, match="AccessDeniedException"):
        handler.is_complete(teardown_request(), world.api)
    assert world.sleeps == []


# --- profile cleanup ---------------------------------------------------------------------------------------


def test_given_a_user_removed_when_the_shard_updates_then_its_apps_private_spaces_and_profile_go_in_order(
    world: World,
) -> None:
    request = events.parse_request(load_event("studio_profile_cleanup_update.json"))
    spaces = [
        space("bob-lab", "InService", owner="bob"),
        space("team", "InService", owner="bob", sharing="Shared"),  # shared: stays
        space("alice-lab", "InService", owner="alice"),  # another user's: stays
    ]
    bob_app = app("default", "InService", user="bob")
    lab_app = app("default", "InService", space="bob-lab")
    # Poll 1: bob's apps and his private space's apps.
    world.domain("InService")
    world.profiles([profile("alice"), profile("bob")])
    world.spaces(spaces)
    world.apps([bob_app], UserProfileNameEquals="bob")
    world.expect("sagemaker", "delete_app", {}, delete_app_params(bob_app))
    world.apps([lab_app], SpaceNameEquals="bob-lab")
    world.expect("sagemaker", "delete_app", {}, delete_app_params(lab_app))
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 2: apps deleted -> the private space.
    world.domain("InService")
    world.profiles([profile("alice"), profile("bob")])
    world.spaces(spaces)
    world.apps([], UserProfileNameEquals="bob")
    world.apps([{**lab_app, "Status": "Deleted"}], SpaceNameEquals="bob-lab")
    world.expect("sagemaker", "delete_space", {}, {"DomainId": DOMAIN, "SpaceName": "bob-lab"})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 3: space gone -> the profile.
    world.domain("InService")
    world.profiles([profile("alice"), profile("bob")])
    world.spaces(spaces[1:])
    world.apps([], UserProfileNameEquals="bob")
    world.expect("sagemaker", "delete_user_profile", {}, {"DomainId": DOMAIN, "UserProfileName": "bob"})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    # Poll 4: profile gone.
    world.domain("InService")
    world.profiles([profile("alice")])
    world.spaces(spaces[1:])
    assert handler.is_complete(request, world.api) == {"IsComplete": True}


def test_given_a_user_added_when_the_shard_updates_then_nothing_is_deleted(world: World) -> None:
    event = load_event("studio_profile_cleanup_update.json")
    event["OldResourceProperties"]["UserProfileNames"] = ["alice"]
    event["ResourceProperties"]["UserProfileNames"] = ["alice", "carol"]
    assert handler.is_complete(events.parse_request(event), world.api) == {"IsComplete": True}


@pytest.mark.parametrize("request_type", ["Create", "Delete"])
def test_given_shard_create_or_delete_then_no_profile_is_touched(world: World, request_type: str) -> None:
    # Delete: with RETAIN the profiles stay; with DESTROY the domain teardown deletes them.
    event = load_event("studio_profile_cleanup_update.json")
    event["RequestType"] = request_type
    assert handler.is_complete(events.parse_request(event), world.api) == {"IsComplete": True}


def test_given_the_domain_already_gone_when_a_user_is_removed_then_it_completes(world: World) -> None:
    world.domain(None)
    request = events.parse_request(load_event("studio_profile_cleanup_update.json"))
    assert handler.is_complete(request, world.api) == {"IsComplete": True}


# --- projects ----------------------------------------------------------------------------------------------


def test_given_projects_when_created_then_the_portfolio_is_enabled_and_shared_with_the_roles(world: World) -> None:
    role = "arn:aws:iam::111111111111:role/studio-execution"
    event = {"RequestType": "Create", "ResourceProperties": {"Kind": "Projects", "PrincipalArns": [role]}}
    request = events.parse_request(event)
    world.expect("sagemaker", "get_sagemaker_servicecatalog_portfolio_status", {"Status": "Disabled"}, {})
    world.expect("sagemaker", "enable_sagemaker_servicecatalog_portfolio", {}, {})
    assert handler.is_complete(request, world.api) == {"IsComplete": False}
    world.expect("sagemaker", "get_sagemaker_servicecatalog_portfolio_status", {"Status": "Enabled"}, {})
    world.expect(
        "servicecatalog",
        "list_accepted_portfolio_shares",
        {
            "PortfolioDetails": [
                {"Id": "port-other", "ProviderName": "Someone"},
                {"Id": "port-sagemaker", "ProviderName": "Amazon SageMaker"},
            ]
        },
        {"PortfolioShareType": "IMPORTED"},
    )
    world.expect(
        "servicecatalog",
        "associate_principal_with_portfolio",
        {},
        {"PortfolioId": "port-sagemaker", "PrincipalARN": role, "PrincipalType": "IAM"},
    )
    assert handler.is_complete(request, world.api) == {"IsComplete": True}


# --- events and entry point --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.pop("RequestType"), "RequestType=None"),
        (lambda e: e["ResourceProperties"].pop("Kind"), "Kind=None"),
        (lambda e: e["ResourceProperties"].update(Kind="Bucket"), "Kind='Bucket'"),
        (lambda e: e["ResourceProperties"].pop("DomainId"), "missing DomainId"),
        (lambda e: e["ResourceProperties"].update(UserProfileNames="bob"), "must be a list of strings"),
    ],
)
def test_given_a_malformed_event_then_a_typed_error_names_the_field(mutate: Any, message: str) -> None:
    event = load_event("studio_profile_cleanup_update.json")
    mutate(event)
    with pytest.raises(errors.MalformedEventError, match=message):
        events.parse_request(event)


def test_given_an_update_then_the_physical_id_does_not_change() -> None:
    event = load_event("studio_profile_cleanup_update.json")
    assert handler.on_event(events.parse_request(event)) == {"PhysicalResourceId": "d-abcdefghijkl/profile-cleanup"}
    event["RequestType"] = "Create"
    event.pop("PhysicalResourceId")
    assert handler.on_event(events.parse_request(event)) == {"PhysicalResourceId": "d-abcdefghijkl/profile-cleanup"}


def load_index() -> ModuleType:
    # Loaded under a name of its own: every handler folder has an `index.py`.
    spec = importlib.util.spec_from_file_location("studio_teardown_index", HANDLER_DIR / "index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_given_the_on_event_phase_then_the_entry_point_answers_with_the_physical_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index = load_index()
    monkeypatch.setenv("STUDIO_TEARDOWN_PHASE", "on_event")
    event = copy.deepcopy(load_event("studio_domain_teardown_delete.json"))
    assert index.handler(event, None) == {"PhysicalResourceId": "d-abcdefghijkl/teardown"}


def test_given_no_phase_then_the_entry_point_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    index = load_index()
    monkeypatch.delenv("STUDIO_TEARDOWN_PHASE", raising=False)
    with pytest.raises(errors.StudioLifecycleError, match="STUDIO_TEARDOWN_PHASE=None"):
        index.handler(load_event("studio_domain_teardown_delete.json"), None)
