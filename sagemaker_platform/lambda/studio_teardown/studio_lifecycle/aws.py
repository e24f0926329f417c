"""The thin AWS layer: every call this handler makes, with throttling retries and "already gone" mapped to None.

Clients are created on first use (fast cold start) and can be handed in by tests (botocore `Stubber`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sagemaker_platform.contracts.aws_faults import THROTTLING_CODES

from .errors import AwsCallError

if TYPE_CHECKING:
    from botocore.client import BaseClient

_MAX_ATTEMPTS = 6
_BACKOFF_CAP_SECONDS = 16.0


@dataclass(frozen=True)
class DomainChild:
    """A kind of named resource inside a domain, listed, described and deleted alike: its API operations, the
    key of the list in a ListX page, the parameter naming one, and what a message calls it."""

    list_operation: str
    list_key: str
    describe_operation: str
    delete_operation: str
    name_key: str
    what: str


SPACE = DomainChild("list_spaces", "Spaces", "describe_space", "delete_space", "SpaceName", "space")
USER_PROFILE = DomainChild(
    "list_user_profiles",
    "UserProfiles",
    "describe_user_profile",
    "delete_user_profile",
    "UserProfileName",
    "user profile",
)


class StudioApi:
    """SageMaker, EFS, EC2 and Service Catalog calls, as plain data in and out."""

    def __init__(
        self,
        clients: dict[str, BaseClient] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_attempts: int = _MAX_ATTEMPTS,
    ) -> None:
        self._clients: dict[str, BaseClient] = dict(clients or {})
        self._sleep = sleep
        self._max_attempts = max_attempts

    # --- plumbing -----------------------------------------------------------------------------------------

    def _client(self, service: str) -> BaseClient:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(service, config=Config(retries={"mode": "standard"}))
        return self._clients[service]

    def _call(self, service: str, operation: str, *, ignore: frozenset[str] = frozenset(), **params: Any) -> Any:
        """One API call; throttling retried with capped exponential backoff; codes in `ignore` return None."""
        from botocore.exceptions import ClientError

        method = getattr(self._client(service), operation)
        for attempt in range(1, self._max_attempts + 1):
            try:
                return method(**params)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in ignore:
                    return None
                if code in THROTTLING_CODES and attempt < self._max_attempts:
                    self._sleep(min(_BACKOFF_CAP_SECONDS, 0.5 * 2**attempt))
                    continue
                raise AwsCallError(f"{service}.{operation} failed: {code}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _pages(self, service: str, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            page = self._call(service, operation, **params, **({"NextToken": token} if token else {}))
            yield from page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return

    # --- SageMaker ----------------------------------------------------------------------------------------

    def _sagemaker_unless_gone(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """A describe or delete of a Studio resource that may already be gone: None then, not an error."""
        return self._call("sagemaker", operation, ignore=frozenset({"ResourceNotFound"}), **params)

    def describe_domain(self, domain_id: str) -> dict[str, Any] | None:
        return self._sagemaker_unless_gone("describe_domain", DomainId=domain_id)

    def delete_domain(self, domain_id: str) -> None:
        # HomeEfsFileSystem=Delete: SageMaker deletes the home EFS it created; the EFS step makes sure.
        self._sagemaker_unless_gone(
            "delete_domain", DomainId=domain_id, RetentionPolicy={"HomeEfsFileSystem": "Delete"}
        )

    def list_apps(
        self, domain_id: str, *, user_profile: str | None = None, space: str | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"DomainIdEquals": domain_id}
        if user_profile is not None:
            params["UserProfileNameEquals"] = user_profile
        if space is not None:
            params["SpaceNameEquals"] = space
        return list(self._pages("sagemaker", "list_apps", "Apps", **params))

    def delete_app(self, app: dict[str, Any]) -> None:
        owner = {"SpaceName": app["SpaceName"]} if app.get("SpaceName") else {"UserProfileName": app["UserProfileName"]}
        self._sagemaker_unless_gone(
            "delete_app",
            DomainId=app["DomainId"],
            AppType=app["AppType"],
            AppName=app["AppName"],
            **owner,
        )

    def list_children(self, domain_id: str, kind: DomainChild) -> list[dict[str, Any]]:
        """The summaries of the domain's spaces or user profiles (`kind`)."""
        return list(self._pages("sagemaker", kind.list_operation, kind.list_key, DomainIdEquals=domain_id))

    def describe_child(self, domain_id: str, kind: DomainChild, name: str) -> dict[str, Any] | None:
        return self._sagemaker_unless_gone(kind.describe_operation, DomainId=domain_id, **{kind.name_key: name})

    def delete_child(self, domain_id: str, kind: DomainChild, name: str) -> None:
        self._sagemaker_unless_gone(kind.delete_operation, DomainId=domain_id, **{kind.name_key: name})

    # --- EFS ----------------------------------------------------------------------------------------------

    def describe_file_system(self, file_system_id: str) -> dict[str, Any] | None:
        response = self._call(
            "efs", "describe_file_systems", ignore=frozenset({"FileSystemNotFound"}), FileSystemId=file_system_id
        )
        systems = (response or {}).get("FileSystems", [])
        return systems[0] if systems else None

    def list_mount_targets(self, file_system_id: str) -> list[dict[str, Any]]:
        response = self._call(
            "efs", "describe_mount_targets", ignore=frozenset({"FileSystemNotFound"}), FileSystemId=file_system_id
        )
        return (response or {}).get("MountTargets", [])

    def delete_mount_target(self, mount_target_id: str) -> None:
        self._call(
            "efs", "delete_mount_target", ignore=frozenset({"MountTargetNotFound"}), MountTargetId=mount_target_id
        )

    def delete_file_system(self, file_system_id: str) -> None:
        self._call("efs", "delete_file_system", ignore=frozenset({"FileSystemNotFound"}), FileSystemId=file_system_id)

    # --- EC2 ----------------------------------------------------------------------------------------------

    def find_security_groups(self, vpc_id: str, names: list[str]) -> list[dict[str, Any]]:
        response = self._call(
            "ec2",
            "describe_security_groups",
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": names}],
        )
        return response.get("SecurityGroups", [])

    def revoke_rules(self, group: dict[str, Any]) -> None:
        not_found = frozenset({"InvalidGroup.NotFound", "InvalidPermission.NotFound"})
        for rules, operation in (
            ("IpPermissions", "revoke_security_group_ingress"),
            ("IpPermissionsEgress", "revoke_security_group_egress"),
        ):
            if group.get(rules):
                self._call("ec2", operation, ignore=not_found, GroupId=group["GroupId"], IpPermissions=group[rules])

    def delete_security_group(self, group_id: str) -> bool:
        """True once deleted (or gone); False while network interfaces still use it (DependencyViolation)."""
        from botocore.exceptions import ClientError

        try:
            self._call("ec2", "delete_security_group", ignore=frozenset({"InvalidGroup.NotFound"}), GroupId=group_id)
        except AwsCallError as exc:
            cause = exc.__cause__
            if isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "DependencyViolation":
                return False
            raise
        return True

    # --- SageMaker Projects (Service Catalog) -------------------------------------------------------------

    def projects_portfolio_status(self) -> str:
        return self._call("sagemaker", "get_sagemaker_servicecatalog_portfolio_status")["Status"]

    def enable_projects_portfolio(self) -> None:
        self._call("sagemaker", "enable_sagemaker_servicecatalog_portfolio")

    def accepted_portfolios(self) -> list[dict[str, Any]]:
        portfolios: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self._call(
                "servicecatalog",
                "list_accepted_portfolio_shares",
                PortfolioShareType="IMPORTED",
                **({"PageToken": token} if token else {}),
            )
            portfolios.extend(page.get("PortfolioDetails", []))
            token = page.get("NextPageToken")
            if not token:
                return portfolios

    def associate_principal(self, portfolio_id: str, principal_arn: str) -> None:
        self._call(
            "servicecatalog",
            "associate_principal_with_portfolio",
            PortfolioId=portfolio_id,
            PrincipalARN=principal_arn,
            PrincipalType="IAM",
        )

    def disassociate_principal(self, portfolio_id: str, principal_arn: str) -> None:
        self._call(
            "servicecatalog",
            "disassociate_principal_from_portfolio",
            ignore=frozenset({"ResourceNotFoundException"}),
            PortfolioId=portfolio_id,
            PrincipalARN=principal_arn,
            PrincipalType="IAM",
        )
