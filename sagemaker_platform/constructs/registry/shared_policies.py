"""`RegistryAccessPolicies`: the registry grants that several roles of one stack hold identically, in one
customer managed policy each, attached to those roles.

Many roles of a stack read the same model package groups (in a workload account: the SageMaker execution,
pipeline-step and deploy roles; in the dev account: every Studio execution role). Written into each role's own
policy, the same version and artifact wildcards appear once per role, and a reviewer checks each copy. Here
the statements of one access level on one set of groups are written once per (top-level) stack, in a policy
attached to every role with that access; the wildcards are acknowledged on that policy only. Each role's
effective permissions stay exactly what `grant_groups` grants (tests/test_shared_policies.py compares them).

DEPLOY is READ plus `sagemaker:CreateModel` on the groups: a deploying role attaches the READ policy (which
the stack's readers share) and a DEPLOY policy holding only CreateModel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.registry.access import RegistryAccess
from sagemaker_platform.constructs.registry.artifacts import AccessStatement
from sagemaker_platform.constructs.registry.policies import nag_text

# As `PlatformRole`: a managed policy holds 6,144 characters, and statements are measured before their tokens
# resolve, so a policy is closed at this estimate and the rest goes to the next one.
_MAX_ESTIMATED_CHARS_PER_POLICY = 3500
_ID = "RegistryAccessPolicies"


class RegistryAccessPolicies(Construct):
    """The shared registry policies of one top-level stack (nested stacks' roles attach their parent's).

    `grant_groups` uses it for every `PlatformRole`: `RegistryAccessPolicies.of(role).attach(role, level,
    statements)`.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # Per access level: (statements as resolved JSON, the policies holding them), in creation order.
        self._sets: dict[str, list[tuple[str, list[tuple[iam.ManagedPolicy, iam.PolicyStatement]]]]] = {}

    @classmethod
    def of(cls, role: iam.IRole) -> RegistryAccessPolicies:
        """The shared policies of `role`'s top-level stack (created on first use)."""
        stack = cdk.Stack.of(role)
        while stack.nested_stack_parent is not None:
            stack = stack.nested_stack_parent
        found = stack.node.try_find_child(_ID)
        return found if isinstance(found, RegistryAccessPolicies) else cls(stack, _ID)

    def attach(
        self, role: iam.IRole, level: RegistryAccess, statements: Sequence[AccessStatement]
    ) -> list[tuple[iam.ManagedPolicy, iam.PolicyStatement]]:
        """Attach to `role` the policies holding `statements` (`level`'s grant on some groups), written the first
        time a role of this stack needs exactly these statements; returns which policy holds which statement."""
        stack = cdk.Stack.of(self)
        rendered = [stack.resolve(item.statement.to_statement_json()) for item in statements]
        key = json.dumps(rendered, sort_keys=True, default=str)
        sets = self._sets.setdefault(level.name, [])
        held = next((pairs for content, pairs in sets if content == key), None)
        if held is None:
            held = self._render(f"{level.name.title()}{len(sets) + 1}", level, statements, rendered)
            sets.append((key, held))
        for policy in dict.fromkeys(policy for policy, _ in held):
            policy.attach_to_role(role)
        return held

    def _render(
        self, id: str, level: RegistryAccess, statements: Sequence[AccessStatement], rendered: Sequence[object]
    ) -> list[tuple[iam.ManagedPolicy, iam.PolicyStatement]]:
        """The policies holding `statements` (more than one when they outgrow one), each acknowledging the
        wildcards of its own statements; which policy holds which statement."""
        policies: list[iam.ManagedPolicy] = []
        held: list[tuple[iam.ManagedPolicy, iam.PolicyStatement]] = []
        size = _MAX_ESTIMATED_CHARS_PER_POLICY
        for item, resolved in zip(statements, rendered, strict=True):
            statement_size = len(json.dumps(resolved, default=str))
            if size + statement_size > _MAX_ESTIMATED_CHARS_PER_POLICY:
                suffix = "" if not policies else f"Part{len(policies) + 1}"
                policies.append(
                    iam.ManagedPolicy(
                        self,
                        f"{id}{suffix}",
                        description=f"{level.value} access to the model registry's groups, shared by the roles "
                        "of this stack that have it",
                    )
                )
                size = 0
            policies[-1].add_statements(item.statement)
            held.append((policies[-1], item.statement))
            size += statement_size
            if item.wildcards:
                acknowledge(
                    policies[-1],
                    {
                        f"AwsSolutions-IAM5[Resource::{nag_text(cdk.Stack.of(self).resolve(arn))}]": (
                            f"{item.reason} (one policy for every role of this stack with {level.value} access)"
                        )
                        for arn in item.wildcards
                    },
                )
        return held
