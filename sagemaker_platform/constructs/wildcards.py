"""`add_statement`: add one identity statement and acknowledge exactly its wildcard resources, with its reason.

A wildcard's acknowledgment is written where the statement is written, by the code that knows why the
resource cannot be named, and lands on the managed policy that holds the statement (the narrowest
construct cdk-nag reports it on). A statement with a wildcard and no reason is refused at synth.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.roles import PlatformRole


def add_statement(grantee: iam.IGrantable, statement: iam.PolicyStatement, wildcard_reason: str | None = None) -> None:
    """Add `statement` to `grantee`'s identity policy; acknowledge AwsSolutions-IAM5 for each of its resources
    that holds a wildcard, with `wildcard_reason` (required then: why that resource cannot be named)."""
    principal = grantee.grant_principal
    rendered = None
    if isinstance(principal, PlatformRole):
        result, rendered = principal.add_rendered(statement)  # the statement rendered once, for both
    else:
        result = principal.add_to_principal_policy(statement)
    if not isinstance(principal, Construct):
        return  # an imported principal: its policy, and its findings, are not this app's
    target = result.policy_dependable if isinstance(result.policy_dependable, Construct) else principal
    acknowledge_statement_wildcards(target, statement, wildcard_reason, rendered=rendered)


def acknowledge_statement_wildcards(
    target: Construct,
    statement: iam.PolicyStatement,
    wildcard_reason: str | None,
    *,
    rendered: dict[str, Any] | None = None,
) -> None:
    """Acknowledge AwsSolutions-IAM5 on `target` (the policy holding `statement`) for each wildcard resource of
    `statement`, with `wildcard_reason`; refuse a wildcard without a reason.

    :param rendered: `statement` already resolved in `target`'s stack (`PlatformRole.add_rendered`), which saves
        rendering it again through jsii. Default: rendered here.
    """
    resolved = cdk.Stack.of(target).resolve(statement.to_statement_json()) if rendered is None else rendered
    resources = resolved.get("Resource", [])
    wildcards = sorted(
        {
            flattened
            for flattened in map(flatten_cfn_reference, resources if isinstance(resources, list) else [resources])
            if "*" in flattened
        }
    )
    if not wildcards:
        return
    if wildcard_reason is None or not wildcard_reason.strip():
        raise ValueError(f"statement {json.dumps(resolved)[:200]} has wildcard resources {wildcards}: give the reason")
    acknowledge(target, {f"AwsSolutions-IAM5[Resource::{wildcard}]": wildcard_reason for wildcard in wildcards})


def flatten_cfn_reference(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag prints it in finding ids (its `flattenCfnReference`)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict) and "Fn::Join" in node:
        delimiter, items = node["Fn::Join"]
        return delimiter.join(flatten_cfn_reference(item) for item in items)
    if isinstance(node, dict) and "Fn::Sub" in node:
        return flatten_cfn_reference(node["Fn::Sub"])
    if isinstance(node, dict) and "Fn::GetAtt" in node:
        resource, attribute = node["Fn::GetAtt"]
        return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
    if isinstance(node, dict) and "Ref" in node:
        return f"<{flatten_cfn_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
