"""Shared managed policies (issue 15): statements several roles of a stack need identically are written once.

- No role gains a grant: each registry reader's and Studio member's effective grants (tests/iam_effective.py)
  are a subset of main's before the policies were shared (tests/iam_baseline/, both shipped configs).
- Each shared policy is attached to every role that needs it, and holds its wildcards once per stack.
- The journeys read a role's attached managed policies, shared ones included: detached, a journey breaks.

Regenerate a baseline only when a grant is added on purpose: `python -m tests.iam_effective CDK_OUT
tests/iam_baseline/<config>.json` over `cdk synth` of that config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api

from tests.event_journeys import Stack, _identity_allows
from tests.iam_effective import Assembly, digest

BASELINES = Path(__file__).parent / "iam_baseline"


def _named(stacks: list[Stack], name: str) -> Stack:
    (stack,) = [s for s in stacks if s.name == name]
    return stack


@pytest.fixture(scope="module", params=["default", "multi-account"])
def shipped(request: pytest.FixtureRequest) -> tuple[str, Assembly]:
    """(config name, its CLI-synthesized assembly read once for both the grants and the quota test)."""
    fixture = "default_assembly" if request.param == "default" else "multi_account_assembly"
    assembly: cx_api.CloudAssembly = request.getfixturevalue(fixture)
    return request.param, Assembly(Path(assembly.directory))


def test_given_the_shared_policies_then_no_registry_reader_or_studio_member_gains_a_grant(
    shipped: tuple[str, Assembly],
) -> None:
    config, assembly = shipped
    grants = assembly.grants()
    baseline: dict[str, list[str]] = json.loads((BASELINES / f"{config}.json").read_text())
    missing = sorted(set(baseline) - set(grants))
    assert not missing, f"roles gone (a role keeps its logical id): {missing}"
    gained = {
        role: sorted(g for g in grants[role] if digest(g) not in set(before))
        for role, before in baseline.items()
        if any(digest(g) not in set(before) for g in grants[role])
    }
    assert not gained, f"grants these roles did not hold before the policies were shared: {gained}"


def _attached(template: dict[str, Any], policy_id: str) -> list[Any]:
    return template["Resources"][policy_id]["Properties"].get("Roles", [])


def _shared(template: dict[str, Any], path_part: str) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and path_part in resource["Metadata"]["aws:cdk:path"]
    }


def _roles_per_shared_policy(template: dict[str, Any], path_part: str) -> dict[str, int]:
    return {
        resource["Metadata"]["aws:cdk:path"].rsplit("/", 2)[-2]: len(_attached(template, logical_id))
        for logical_id, resource in _shared(template, path_part).items()
    }


def test_given_the_multi_account_example_then_roles_with_the_same_access_attach_one_policy_per_part(
    cli_multi_account_stacks: list[Stack],
) -> None:
    studio = _named(cli_multi_account_stacks, "mlplatform-studio").template
    # ExecutionRole, ApproverRole and bob's own role (through his shard's output) register (dev registers) and
    # are the domain's members; the approver also approves.
    assert _roles_per_shared_policy(studio, "/SharedPolicies/") == {
        "RegistryRegister1": 3,
        "RegistryArtifactsWrite1": 3,
        "RegistryApprove1": 1,
    }
    assert _roles_per_shared_policy(studio, "/Studio/MemberPolicy/") == {"MemberPolicy": 3}
    workload = _named(cli_multi_account_stacks, "mlplatform-workload-access-prod").template
    # Execution reads; the pipeline step (batch inference) and the deploy role deploy; all three read artifacts.
    assert _roles_per_shared_policy(workload, "/SharedPolicies/") == {
        "RegistryRead1": 1,
        "RegistryDeploy1": 2,
        "RegistryArtifactsRead1": 3,
    }
    hosting = _named(cli_multi_account_stacks, "mlplatform-hosting-staging").template
    shared = _roles_per_shared_policy(hosting, "/SharedPolicies/")
    assert shared["EndpointMetrics1"] == 6  # every endpoint of the stage, across the endpoint shards
    # The fraud-detection and churn prefixes (in shard order), each read by its group's endpoints; the key by all.
    assert {n: c for n, c in shared.items() if n.startswith("RegistryArtifacts")} == {
        "RegistryArtifacts1": 1,
        "RegistryArtifacts2": 2,
        "RegistryArtifactsKey1": 3,
    }


def test_given_the_sandbox_then_journeys_read_the_shared_policies_and_break_when_one_is_detached(
    cli_default_stacks: list[Stack],
) -> None:
    stack = _named(cli_default_stacks, "mlplatform-workload-access")
    role_arn = "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/mlplatform-deploy"
    version = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:model-package/churn/3"
    assert _identity_allows(stack, role_arn, "sagemaker:DescribeModelPackage", version)
    assert _identity_allows(stack, role_arn, "sagemaker:CreateModel", version)
    template = json.loads(json.dumps(stack.template))
    for policy_id in _shared(template, "/SharedPolicies/Registry"):
        template["Resources"][policy_id]["Properties"]["Roles"] = []
    detached = Stack(stack.name, stack.account, template)
    assert not _identity_allows(detached, role_arn, "sagemaker:DescribeModelPackage", version)


def test_given_the_shared_policies_then_no_role_passes_the_iam_quota_of_ten_managed_policies(
    shipped: tuple[str, Assembly],
) -> None:
    # IAM's default quota: 10 managed policies per role (raisable to 20). Shared policies add to a role's count.
    counts = shipped[1].attached_policies()
    assert max(counts.values()) <= 10, sorted(counts.items(), key=lambda item: -item[1])[:5]
