"""The `registry` section: central model package groups shared with the workload accounts."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, field_problem, matching
from sagemaker_platform.contracts import names

# CreateModelPackageGroup's ModelPackageGroupName pattern.
MODEL_PACKAGE_GROUP_NAME_PATTERN = names.NAME_63_RE
# IAM's RoleName pattern.
IAM_ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")

WorkloadAccountRole = Literal["dev", "staging", "prod"]
WORKLOAD_ACCOUNT_ROLES: tuple[WorkloadAccountRole, ...] = ("dev", "staging", "prod")


ModelPackageGroupName = Annotated[
    str,
    matching(
        MODEL_PACKAGE_GROUP_NAME_PATTERN,
        f"must match SageMaker's ModelPackageGroupName pattern {names.NAME_63} "
        "(letters, digits and inner hyphens, at most 63 characters)",
    ),
]
IamRoleName = Annotated[
    str, matching(IAM_ROLE_NAME_PATTERN, "must be an IAM role name: 1-64 of letters, digits and +=,.@_-")
]


class RegistryRoleConfig(StrictModel):
    """A named role of one of the platform's accounts (never an account root)."""

    account: Literal["tooling", "registry", "dev", "staging", "prod"]
    """The account role (from `accounts`) the role lives in; in the sandbox, the one account."""
    role_name: IamRoleName


class RegistryConfig(StrictModel):
    """`registry`: the central model registry, its artifacts bucket and the workload accounts' access to it."""

    model_package_groups: Annotated[Items[ModelPackageGroupName], Field(min_length=1)]
    register_from: Annotated[Items[WorkloadAccountRole], Field(min_length=1)] = ("dev",)
    """Workload accounts whose pipeline-step role may register versions and whose roles may write artifacts."""
    approvers: Items[RegistryRoleConfig] = ()
    """Roles that may approve or reject versions (and describe them); no artifact access."""
    readers: Items[RegistryRoleConfig] = ()
    """More roles that may describe versions and read their artifacts, e.g. an endpoint's execution role
    created outside the platform. The platform's own endpoint roles are added from `endpoints`."""

    @model_validator(mode="after")
    def _unique_entries(self) -> RegistryConfig:
        for field, values in (
            ("model_package_groups", [name.lower() for name in self.model_package_groups]),
            ("register_from", list(self.register_from)),
            ("approvers", [f"{a.account}/{a.role_name}" for a in self.approvers]),
            ("readers", [f"{r.account}/{r.role_name}" for r in self.readers]),
        ):
            seen: set[str] = set()
            for value in values:
                if value in seen:
                    raise field_problem(
                        field, value, "duplicate entry: each value must appear once (names ignore case)"
                    )
                seen.add(value)
        return self
