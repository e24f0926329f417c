"""`SharedPolicies`: statements several roles of one stack hold identically, in one customer managed policy.

Written into each role's own policy, the same wildcard (a registry group's versions, an artifacts prefix, a
`Resource: *` that an action without resource-level permissions needs) appears once per role, and a reviewer
checks each copy. Here a set of statements is written once per top-level stack, in a policy attached to every
`PlatformRole` that needs exactly that set (a role of a nested stack attaches its parent's: CloudFormation
passes the role's name up through the nested stack's outputs); its wildcards are acknowledged on that policy
only, with the reason given for each statement. Each role's effective permissions are what it would hold with
the statements in its own policy (tests/test_shared_policies.py compares them with the templates before).

Example, two endpoint roles that publish the same metrics::

    metrics = [SharedStatement(put_metric_data, "PutMetricData supports no resource-level permissions")]
    for role in (churn_role, fraud_role):
        SharedPolicies.of(role).attach(role, "EndpointMetrics", metrics, "SageMaker endpoint metrics")
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.roles import MAX_ESTIMATED_CHARS_PER_POLICY, PlatformRole
from sagemaker_platform.constructs.wildcards import acknowledge_statement_wildcards, add_statement

_ID = "SharedPolicies"


@dataclass(frozen=True)
class SharedStatement:
    """A statement for a shared policy, and why its wildcard resources cannot be named (required when it has
    any: acknowledged for AwsSolutions-IAM5 on the policy that holds it)."""

    statement: iam.PolicyStatement
    wildcard_reason: str | None = None


class SharedPolicies(Construct):
    """The shared policies of one top-level stack, one (or, when large, a few) per distinct set of statements.

    Policies are named ``<name><n>``: `name` says what the set grants, `n` counts the distinct sets of that
    name in the stack (e.g. read access to two different lists of groups), in the order roles first need them.
    """

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # Per name: (the statements as resolved JSON, which policy holds which statement), in creation order.
        self._sets: dict[str, list[tuple[str, list[tuple[iam.ManagedPolicy, iam.PolicyStatement]]]]] = {}
        self._attached: dict[str, set[str]] = {}  # per policy path: the (resolved) names of its roles
        # Per collected policy and role: its parts as (policy, estimated characters, statements held as JSON).
        self._collected: dict[str, list[tuple[iam.ManagedPolicy, int, set[str]]]] = {}

    @classmethod
    def of(cls, role: iam.IRole) -> SharedPolicies:
        """The shared policies of `role`'s top-level stack (created on first use)."""
        stack = cdk.Stack.of(role)
        while stack.nested_stack_parent is not None:
            stack = stack.nested_stack_parent
        found = stack.node.try_find_child(_ID)
        return found if isinstance(found, SharedPolicies) else cls(stack, _ID)

    def attach(
        self, role: PlatformRole, name: str, statements: Sequence[SharedStatement], description: str
    ) -> iam.Grant:
        """Attach to `role` the policies holding `statements` (written the first time a role of this stack needs
        exactly these); the grant of every statement, as `iam.Grant.add_to_principal` would return it."""
        held = self._attach_policies(role, name, statements, description)
        grant = role.grant_held_by(*held[0])
        for policy, statement in held[1:]:
            grant = grant.combine(role.grant_held_by(policy, statement))
        return grant

    def _attach_policies(
        self, role: iam.IRole, name: str, statements: Sequence[SharedStatement], description: str
    ) -> list[tuple[iam.ManagedPolicy, iam.PolicyStatement]]:
        """The policies holding `statements` (rendered the first time), attached to `role` once; which policy holds
        which statement."""
        stack = cdk.Stack.of(self)
        rendered = [stack.resolve(item.statement.to_statement_json()) for item in statements]
        key = json.dumps(rendered, sort_keys=True, default=str)
        sets = self._sets.setdefault(name, [])
        held = next((pairs for content, pairs in sets if content == key), None)
        if held is None:
            held = self._render(f"{name}{len(sets) + 1}", description, statements, rendered)
            sets.append((key, held))
        # By name: a role imported twice (two objects) is still attached once.
        name_of_role = json.dumps(stack.resolve(role.role_name), sort_keys=True)
        for policy in dict.fromkeys(policy for policy, _ in held):
            if name_of_role not in self._attached.setdefault(policy.node.path, set()):
                policy.attach_to_role(role)
                self._attached[policy.node.path].add(name_of_role)
        return held

    def collect(self, role: iam.IRole, name: str, statements: Sequence[SharedStatement], description: str) -> None:
        """Add `statements` to the policy `name` that gathers, for `role`, the statements of several constructs
        (each monitor of a stage, say): one attached policy (a new part when it is full) instead of one per
        construct, which a role's quota of managed policies would soon refuse. A statement the policy already
        holds is not added twice."""
        stack = cdk.Stack.of(self)
        parts = self._collected.setdefault(f"{name}:{json.dumps(stack.resolve(role.role_name))}", [])
        for item in statements:
            rendered = json.dumps(stack.resolve(item.statement.to_statement_json()), sort_keys=True, default=str)
            if any(rendered in held for _, _, held in parts):
                continue
            if not parts or parts[-1][1] + len(rendered) > MAX_ESTIMATED_CHARS_PER_POLICY:
                policy = iam.ManagedPolicy(self, _part_id(name, len(parts)), description=description, roles=[role])
                parts.append((policy, 0, set()))
            policy, size, held = parts[-1]
            policy.add_statements(item.statement)
            acknowledge_statement_wildcards(policy, item.statement, item.wildcard_reason)
            held.add(rendered)
            parts[-1] = (policy, size + len(rendered), held)

    def _render(
        self, id: str, description: str, statements: Sequence[SharedStatement], rendered: Sequence[object]
    ) -> list[tuple[iam.ManagedPolicy, iam.PolicyStatement]]:
        """The policies holding `statements` (more than one when they outgrow one), each acknowledging the
        wildcards of its own statements; which policy holds which statement."""
        policies: list[iam.ManagedPolicy] = []
        held: list[tuple[iam.ManagedPolicy, iam.PolicyStatement]] = []
        size = MAX_ESTIMATED_CHARS_PER_POLICY
        for item, resolved in zip(statements, rendered, strict=True):
            statement_size = len(json.dumps(resolved, default=str))
            if size + statement_size > MAX_ESTIMATED_CHARS_PER_POLICY:
                policies.append(
                    iam.ManagedPolicy(
                        self,
                        _part_id(id, len(policies)),
                        description=f"{description}; shared by the roles of this stack",
                    )
                )
                size = 0
            policies[-1].add_statements(item.statement)
            acknowledge_statement_wildcards(policies[-1], item.statement, item.wildcard_reason)
            held.append((policies[-1], item.statement))
            size += statement_size
        return held


def _part_id(id: str, parts_before: int) -> str:
    """The construct id of a policy's next part: `id` for the first (a policy that never fills keeps it), then
    `<id>Part2`, `<id>Part3`, ..."""
    return id if parts_before == 0 else f"{id}Part{parts_before + 1}"


def add_shared_statements(
    grantee: iam.IGrantable, name: str, statements: Sequence[SharedStatement], description: str
) -> None:
    """`statements` for `grantee`: through its stack's shared policy `name` when it is a `PlatformRole`, else in
    its own identity policy (`add_statement`, each wildcard acknowledged there with its reason)."""
    principal = grantee.grant_principal
    if isinstance(principal, PlatformRole):
        SharedPolicies.of(principal).attach(principal, name, statements, description)
        return
    for item in statements:
        add_statement(grantee, item.statement, item.wildcard_reason)
