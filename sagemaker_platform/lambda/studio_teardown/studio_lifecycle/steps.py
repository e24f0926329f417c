"""The lifecycle steps as plain functions over `StudioApi`.

Every `advance_*` function is idempotent: it looks at what exists now, starts the next deletion that can
start, and returns True only when nothing is left to do. The Provider framework calls it again every
poll until it returns True (or the total timeout fails the operation). A resource in a failed deletion
state raises `DeletionFailedError`, so CloudFormation always gets an answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .aws import SPACE, USER_PROFILE, DomainChild
from .errors import DeletionFailedError

if TYPE_CHECKING:
    from .aws import StudioApi

# SageMaker statuses (ListApps, ListSpaces, ListUserProfiles, DescribeDomain).
APP_DELETABLE = frozenset({"InService", "Failed"})
APP_GONE = "Deleted"
SPACE_OR_PROFILE_DELETABLE = frozenset({"InService", "Failed", "Update_Failed"})
DOMAIN_DELETABLE = SPACE_OR_PROFILE_DELETABLE
DELETE_FAILED = "Delete_Failed"
EFS_DELETING = frozenset({"deleting", "deleted"})

PROJECTS_PORTFOLIO_PROVIDER = "Amazon SageMaker"


def nfs_security_group_names(domain_id: str) -> list[str]:
    """The two security groups SageMaker creates for a domain's home EFS file system, by exact name."""
    return [f"security-group-for-inbound-nfs-{domain_id}", f"security-group-for-outbound-nfs-{domain_id}"]


# --- apps, spaces, profiles ------------------------------------------------------------------------------


def delete_apps(apps: Iterable[dict[str, Any]], api: StudioApi) -> bool:
    """Start deleting every app not yet deleted; True when all are `Deleted`."""
    done = True
    for app in apps:
        status = app["Status"]
        if status == APP_GONE:
            continue
        done = False
        if status in APP_DELETABLE:
            api.delete_app(app)
        # Pending: wait for it to settle; Deleting: already on its way.
    return done


def delete_children(domain_id: str, kind: DomainChild, items: Iterable[dict[str, Any]], api: StudioApi) -> bool:
    """Start deleting each space or user profile (`kind`; its apps, and a profile's private spaces, must be gone);
    True when none is left. Both share their statuses; a failed deletion raises `DeletionFailedError`."""
    done = True
    for item in items:
        name = item[kind.name_key]
        done = False
        status = item["Status"]
        if status == DELETE_FAILED:
            detail = api.describe_child(domain_id, kind, name) or {}
            message = f"{kind.what} of domain {domain_id}, {name!r}: {detail.get('FailureReason', status)}"
            raise DeletionFailedError(message)
        if status in SPACE_OR_PROFILE_DELETABLE:
            api.delete_child(domain_id, kind, name)
    return done


def private_spaces_of(spaces: Iterable[dict[str, Any]], owners: set[str]) -> list[dict[str, Any]]:
    return [
        space
        for space in spaces
        if space.get("OwnershipSettingsSummary", {}).get("OwnerUserProfileName") in owners
        and space.get("SpaceSharingSettingsSummary", {}).get("SharingType") == "Private"
    ]


def advance_profile_removal(api: StudioApi, domain_id: str, names: Iterable[str]) -> bool:
    """Delete the profiles `names` cleanly: their apps (and their private spaces' apps), private spaces, profiles."""
    owners = set(names)
    if not owners or api.describe_domain(domain_id) is None:
        return True
    profiles = [p for p in api.list_children(domain_id, USER_PROFILE) if p["UserProfileName"] in owners]
    spaces = private_spaces_of(api.list_children(domain_id, SPACE), owners)
    apps_done = True
    for profile in profiles:
        apps_done &= delete_apps(api.list_apps(domain_id, user_profile=profile["UserProfileName"]), api)
    for space in spaces:
        apps_done &= delete_apps(api.list_apps(domain_id, space=space["SpaceName"]), api)
    if not apps_done:
        return False
    if not delete_children(domain_id, SPACE, spaces, api):
        return False
    return delete_children(domain_id, USER_PROFILE, profiles, api)


# --- the whole domain ------------------------------------------------------------------------------------


def advance_domain_teardown(api: StudioApi, domain_id: str, file_system_id: str | None, vpc_id: str) -> bool:
    """Delete, in order: the domain's apps, spaces, user profiles, the domain, its home EFS, its two NFS groups."""
    domain = api.describe_domain(domain_id)
    if domain is not None:
        status = domain["Status"]
        if status == DELETE_FAILED:
            raise DeletionFailedError(f"domain {domain_id}: {domain.get('FailureReason', status)}")
        if status not in DOMAIN_DELETABLE:
            return False  # Deleting, or Pending/Updating: DeleteDomain would be refused until it settles
        if not delete_apps(api.list_apps(domain_id), api):
            return False
        for kind in (SPACE, USER_PROFILE):  # spaces first: a profile with a private space cannot be deleted
            if not delete_children(domain_id, kind, api.list_children(domain_id, kind), api):
                return False
        api.delete_domain(domain_id)
        return False
    if file_system_id and not advance_file_system_deletion(api, domain_id, file_system_id):
        return False
    return advance_nfs_security_group_deletion(api, domain_id, vpc_id)


def advance_file_system_deletion(api: StudioApi, domain_id: str, file_system_id: str) -> bool:
    """Delete the domain's home EFS file system (mount targets first); refuses one SageMaker did not tag for it."""
    file_system = api.describe_file_system(file_system_id)
    if file_system is None:
        return True
    tags = {tag["Key"]: tag["Value"] for tag in file_system.get("Tags", [])}
    owner = tags.get("ManagedByAmazonSageMakerResource", "")
    if not owner.endswith(f":domain/{domain_id}"):
        raise DeletionFailedError(
            f"file system {file_system_id} is not the home file system of domain {domain_id} "
            f"(ManagedByAmazonSageMakerResource={owner!r}); refusing to delete it"
        )
    if file_system["LifeCycleState"] in EFS_DELETING:
        return False
    targets = api.list_mount_targets(file_system_id)
    if targets:
        for target in targets:
            if target["LifeCycleState"] not in EFS_DELETING:
                api.delete_mount_target(target["MountTargetId"])
        return False
    api.delete_file_system(file_system_id)
    return False


def advance_nfs_security_group_deletion(api: StudioApi, domain_id: str, vpc_id: str) -> bool:
    """Delete SageMaker's inbound and outbound NFS security groups of this domain, and nothing else."""
    names = nfs_security_group_names(domain_id)
    groups = [group for group in api.find_security_groups(vpc_id, names) if group["GroupName"] in names]
    if not groups:
        return True
    # Each group's rules reference the other: neither can be deleted while those rules exist.
    for group in groups:
        api.revoke_rules(group)
    deleted = [api.delete_security_group(group["GroupId"]) for group in groups]
    return all(deleted)


# --- SageMaker Projects ----------------------------------------------------------------------------------


def projects_portfolio_id(api: StudioApi) -> str | None:
    for portfolio in api.accepted_portfolios():
        if portfolio.get("ProviderName") == PROJECTS_PORTFOLIO_PROVIDER:
            return str(portfolio["Id"])
    return None


def advance_projects(api: StudioApi, associate: Iterable[str], disassociate: Iterable[str]) -> bool:
    """Enable the SageMaker Projects portfolio and give `associate` principals access to it (idempotent)."""
    if api.projects_portfolio_status() != "Enabled":
        api.enable_projects_portfolio()
        return False
    portfolio_id = projects_portfolio_id(api)
    if portfolio_id is None:
        return False  # the share shows up shortly after enabling
    for principal in disassociate:
        api.disassociate_principal(portfolio_id, principal)
    for principal in associate:
        api.associate_principal(portfolio_id, principal)
    return True


def advance_projects_removal(api: StudioApi, principals: Iterable[str]) -> bool:
    """Take the principals off the portfolio. The portfolio stays enabled: it is account-wide."""
    if api.projects_portfolio_status() != "Enabled":
        return True
    portfolio_id = projects_portfolio_id(api)
    if portfolio_id is not None:
        for principal in principals:
            api.disassociate_principal(portfolio_id, principal)
    return True
