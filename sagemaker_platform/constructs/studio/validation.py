"""Validation of the `StudioDomain` props, before any resource is created."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

from sagemaker_platform.constructs.studio.settings import (
    _MAX_PROFILE_NAMES_BYTES,
    _MAX_RESOURCES_PER_SHARD,
    PERSONAS,
    StudioUser,
    profile_shard,
)
from sagemaker_platform.contracts.names import NAME_63_RE as USER_PROFILE_NAME_PATTERN
from sagemaker_platform.errors import ProblemCollector


def validate_props(
    domain_name: str,
    auth_mode: str,
    users: Sequence[StudioUser],
    vpc: ec2.IVpc | None,
    vpc_subnets: ec2.SubnetSelection | None,
    idle_shutdown_minutes: int | None,
    profile_shards: int,
) -> None:
    """Check the props of `StudioDomain`; every problem is raised at once as a `PropsError`."""
    problems = ProblemCollector("StudioDomain")
    problems.check(auth_mode in ("IAM", "SSO"), f"auth_mode={auth_mode!r}: allowed: 'IAM', 'SSO'")
    problems.check(
        cdk.Token.is_unresolved(domain_name) or 1 <= len(domain_name) <= 63,
        f"domain_name={domain_name!r}: 1 to 63 characters",
    )
    seen: set[str] = set()
    for user in users:
        problems.check(
            bool(USER_PROFILE_NAME_PATTERN.match(user.name)),
            f"users: {user.name!r} does not match SageMaker's UserProfileName pattern "
            f"{USER_PROFILE_NAME_PATTERN.pattern}",
        )
        problems.check(user.name not in seen, f"users: {user.name!r} appears more than once")
        problems.check(
            user.persona in PERSONAS,
            f"users: {user.name!r} has persona {user.persona!r}; allowed: {list(PERSONAS)}",
        )
        seen.add(user.name)
    problems.check(vpc_subnets is None or vpc is not None, "vpc_subnets given without vpc: pass the VPC they belong to")
    problems.check(
        idle_shutdown_minutes is None or 60 <= idle_shutdown_minutes <= 525600,
        f"idle_shutdown_minutes={idle_shutdown_minutes}: allowed: 60 to 525600, or None (off)",
    )
    problems.check(1 <= profile_shards <= 64, f"profile_shards={profile_shards}: allowed: 1 to 64")
    if 1 <= profile_shards <= 64:
        counts: dict[int, int] = {}
        for user in users:
            shard = profile_shard(user.name, profile_shards)
            counts[shard] = counts.get(shard, 0) + (3 if user.own_role else 1)
        fullest = max(counts.values(), default=0)
        problems.check(
            fullest <= _MAX_RESOURCES_PER_SHARD,
            f"users: {len(users)} profiles need {fullest} resources in one of {profile_shards} nested stacks "
            f"(at most {_MAX_RESOURCES_PER_SHARD}); raise profile_shards before the first deployment",
        )
    names_bytes = len(json.dumps(sorted(user.name for user in users)))
    problems.check(
        names_bytes <= _MAX_PROFILE_NAMES_BYTES,
        f"users: {len(users)} profile names take {names_bytes} bytes in the profile cleanup's request "
        f"(at most {_MAX_PROFILE_NAMES_BYTES}: Step Functions takes 256 KiB, old and new names)",
    )
    problems.raise_if_any()
