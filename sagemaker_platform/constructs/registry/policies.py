"""Policy helpers of the registry: cdk-nag acknowledgments of scoped wildcards, account comparison, and the
synth-time checks of resource policies (no account root, within the service's size limit)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct, IValidation

from sagemaker_platform.compliance import acknowledge


def acknowledge_wildcard_resources(grantee: object, resources: Sequence[str], reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for exactly `resources` on `grantee` (when it is a construct of this app).

    The finding ids name each resource as cdk-nag prints it (``arn:<AWS::Partition>:...``).
    """
    target = getattr(grantee, "grant_principal", grantee)
    if not isinstance(target, Construct):
        return
    stack = cdk.Stack.of(target)
    acknowledge(target, {f"AwsSolutions-IAM5[Resource::{nag_text(stack.resolve(arn))}]": reason for arn in resources})


def nag_text(value: object) -> str:
    """A resolved CloudFormation value as cdk-nag writes it in finding ids (e.g. ``arn:<AWS::Partition>:...``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(nag_text(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"<{'.'.join(value['Fn::GetAtt'])}>"
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    raise TypeError(f"cannot name {value!r} as cdk-nag does")


# S3 bucket policies hold 20 KB, KMS key policies 32 KB. A policy is measured as it will deploy, each
# token replaced by the longest value it can take.
_POLICY_LIMITS = {"artifacts bucket policy": 20_480, "artifacts key policy": 32_768}
_LONGEST_REF = {"AWS::Partition": "aws-us-gov", "AWS::URLSuffix": "amazonaws.com.cn", "AWS::AccountId": "0" * 12}
_LONGEST_OTHER = 96  # a region, an ARN from GetAtt, any other Ref


def deployed_policy_size(value: object) -> int:
    """Characters of a resolved policy once CloudFormation has replaced its intrinsics (at most)."""

    def deployed(item: object) -> object:
        if isinstance(item, dict) and "Fn::Join" in item:
            separator, parts = item["Fn::Join"]
            return str(separator).join(str(deployed(part)) for part in parts)
        if isinstance(item, dict) and "Ref" in item:
            return _LONGEST_REF.get(item["Ref"], "x" * _LONGEST_OTHER)
        if isinstance(item, dict) and ("Fn::GetAtt" in item or "Fn::Sub" in item):
            return "x" * _LONGEST_OTHER
        if isinstance(item, dict):
            return {key: deployed(entry) for key, entry in item.items()}
        if isinstance(item, list):
            return [deployed(entry) for entry in item]
        return item

    return len(json.dumps(deployed(value), separators=(",", ":")))


@jsii.implements(IValidation)
class PolicyChecks:
    """Refuses a resource policy that names an account root (``arn:...:root`` or a bare account id) as
    principal, or that would exceed its service limit (too many groups or roles)."""

    def __init__(
        self, scope: Construct, documents: Callable[[], Sequence[tuple[str, iam.PolicyDocument | None]]]
    ) -> None:
        self._scope = scope
        self._documents = documents

    def validate(self) -> list[str]:
        """The problems of every named document, read at synth once every statement is in."""
        stack = cdk.Stack.of(self._scope)
        problems = []
        for what, document in self._documents():
            if document is None or document.is_empty:
                continue
            resolved = stack.resolve(document.to_json())
            for statement in resolved.get("Statement", []):
                for principal in _aws_principals(statement):
                    if principal.endswith(":root") or principal.isdigit():
                        problems.append(f"{what}: principal {principal} is an account root; name a role instead")
            size = deployed_policy_size(resolved)
            if what in _POLICY_LIMITS and size > _POLICY_LIMITS[what]:
                problems.append(
                    f"{what}: about {size} characters, over its limit of {_POLICY_LIMITS[what]}; split the model "
                    "package groups over more than one registry (platform name), or give fewer roles access"
                )
        return problems


def _aws_principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, dict):
        return []
    value = principal.get("AWS", [])
    return [nag_text(v) for v in (value if isinstance(value, list) else [value])]


def same_account(grantee: iam.IGrantable, resource: cdk.Resource) -> bool:
    """Whether `grantee`'s principal is in `resource`'s account (a principal with no account counts as the same)."""
    principal_account = grantee.grant_principal.principal_account
    if principal_account is None:
        return True  # a service principal or similar: no account to cross
    account = resource.env.account
    # As Token.compareStrings (whose jsii result cannot be compared in Python): two unresolved accounts
    # count as the same, one unresolved and one concrete as different.
    if cdk.Token.is_unresolved(principal_account) and cdk.Token.is_unresolved(account):
        return True
    return principal_account == account
