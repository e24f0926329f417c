"""Journey: a bucket's server access logs, from its `LoggingConfiguration` to the bucket that receives them.

For every bucket that logs, in the templates `cdk synth` wrote for each shipped config: the target named by
`DestinationBucketName` exists in the same account (a bucket of the same template, or one whose `BucketName`
is that name), its policy lets S3 log delivery put objects under the source's prefix for that account only,
and a target in another stack is deployed first (the source stack depends on it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import cx_api

from tests.registry_helpers import text
from tests.support import resources_of_type
from tests.wiring_helpers import allows

LOG_DELIVERY = "logging.s3.amazonaws.com"


@dataclass(frozen=True)
class LoggedBucket:
    """A bucket that logs: its stack, account (rendered) and where its logs go."""

    stack: cx_api.CloudFormationStackArtifact
    logical_id: str
    destination: Any
    prefix: str


@dataclass(frozen=True)
class LogTarget:
    stack: cx_api.CloudFormationStackArtifact
    logical_id: str


def _account(stack: cx_api.CloudFormationStackArtifact) -> str:
    # An env-agnostic stack's account is the deploying one: the placeholder `text` renders its pseudo parameter as.
    return stack.environment.account if stack.environment.account != "unknown-account" else "<AWS::AccountId>"


def _top_level_stacks(assembly: cx_api.CloudAssembly) -> list[cx_api.CloudFormationStackArtifact]:
    """Every stack, those of pipeline stages included (no bucket lives in a nested stack)."""
    return list(assembly.stacks_recursively)


def _logged_buckets(assembly: cx_api.CloudAssembly) -> Iterator[LoggedBucket]:
    for stack in _top_level_stacks(assembly):
        for logical_id, bucket in resources_of_type(stack.template, "AWS::S3::Bucket").items():
            logging = bucket.get("Properties", {}).get("LoggingConfiguration")
            if logging is not None:
                yield LoggedBucket(stack, logical_id, logging["DestinationBucketName"], logging["LogFilePrefix"])


def _target(assembly: cx_api.CloudAssembly, source: LoggedBucket) -> LogTarget:
    """The bucket `source` logs to: a `Ref` in its own template, or the bucket of its account with that name."""
    destination = source.destination
    if isinstance(destination, dict) and "Ref" in destination:
        return LogTarget(source.stack, destination["Ref"])
    name = text(destination)
    found = [
        LogTarget(stack, logical_id)
        for stack in _top_level_stacks(assembly)
        if _account(stack) == _account(source.stack)
        for logical_id, bucket in resources_of_type(stack.template, "AWS::S3::Bucket").items()
        if text(bucket.get("Properties", {}).get("BucketName", "")) == name
    ]
    assert len(found) == 1, f"{source.stack.stack_name}/{source.logical_id} logs to {name!r}: found {found}"
    return found[0]


def _policy_statements(target: LogTarget) -> list[dict[str, Any]]:
    policies = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in resources_of_type(target.stack.template, "AWS::S3::BucketPolicy").values()
        if policy["Properties"]["Bucket"] == {"Ref": target.logical_id}
    ]
    assert len(policies) == 1, f"{target.stack.stack_name}/{target.logical_id}: {len(policies)} bucket policies"
    return [s for s in policies[0] if s["Effect"] == "Deny" or s.get("Principal") == {"Service": LOG_DELIVERY}]


@pytest.mark.parametrize("assembly_fixture", ["default_assembly", "multi_account_assembly"])
def test_given_a_shipped_config_when_a_bucket_logs_then_its_target_admits_log_delivery_from_its_account(
    request: pytest.FixtureRequest, assembly_fixture: str
) -> None:
    assembly: cx_api.CloudAssembly = request.getfixturevalue(assembly_fixture)
    sources = list(_logged_buckets(assembly))
    assert sources, "no bucket logs access"
    for source in sources:
        target = _target(assembly, source)
        where = f"{source.stack.stack_name}/{source.logical_id} -> {target.stack.stack_name}/{target.logical_id}"
        statements = _policy_statements(target)
        log_object = f"<{target.logical_id}.Arn>/{source.prefix}2026-01-01-00-00-00-0123456789ABCDEF"
        # What S3 log delivery's request carries: the source bucket and its account (and TLS).
        delivery = {
            "aws:SourceAccount": _account(source.stack),
            "aws:SourceArn": f"<{source.logical_id}.Arn>",
            "aws:SecureTransport": "true",
        }
        assert allows(statements, "s3:PutObject", log_object, delivery), f"{where}: log delivery refused"
        foreign = {**delivery, "aws:SourceAccount": "999999999999"}
        assert not allows(statements, "s3:PutObject", log_object, foreign), f"{where}: another account admitted"
        if target.stack is not source.stack:
            dependencies = {dependency.id for dependency in source.stack.dependencies}
            assert target.stack.id in dependencies, f"{where}: the source stack does not deploy after the target"


@pytest.mark.parametrize("assembly_fixture", ["default_assembly", "multi_account_assembly"])
def test_given_a_shipped_config_then_each_account_has_one_log_bucket_besides_the_pipelines(
    request: pytest.FixtureRequest, assembly_fixture: str
) -> None:
    assembly: cx_api.CloudAssembly = request.getfixturevalue(assembly_fixture)
    targets: dict[str, set[str]] = {}
    for source in _logged_buckets(assembly):
        target = _target(assembly, source)
        if target.stack.stack_name != "mlplatform-pipeline":  # deployed by hand before the stages: its own
            targets.setdefault(_account(source.stack), set()).add(f"{target.stack.stack_name}/{target.logical_id}")
    assert targets and all(len(buckets) == 1 for buckets in targets.values()), targets
