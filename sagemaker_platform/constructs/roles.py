"""`PlatformRole`: an IAM role whose permissions live in customer managed policies, not inline ones.

It also names the actions of aws-cdk-lib's bucket and key grants (`NAMED_ACTIONS`): a grant made inside the
CDK (CDK Pipelines' artifact grants, for one) holds `s3:GetObject*`, `kms:ReEncrypt*` and other families,
when its callers (S3 with SSE-KMS, CodePipeline, CodeBuild) use one or two actions of each.

HIPAA Security and NIST 800-53 R5 (cdk-nag `IAMNoInlinePolicy`) refuse inline policies, yet every
CDK `grant_*` adds its statement to the grantee's inline default policy. `PlatformRole` overrides
`add_to_principal_policy` so that every grant, from this library or from aws-cdk-lib, lands in a
customer managed policy attached to the role (a new one when the current one is full; a statement whose
wildcard a policy already grants joins that policy when its size allows, so cdk-nag's AwsSolutions-IAM5 sees
each wildcard once per role). Use it for every role this library creates.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct

# A managed policy document may hold 6,144 characters. Statement sizes are estimated before
# tokens resolve (an ARN token renders shorter than the ARN), so leave room.
_MAX_STATEMENTS_PER_POLICY = 10
MAX_ESTIMATED_CHARS_PER_POLICY = 3500
# A statement joining the policy that already grants its wildcard may pass the statement count a little (its
# characters still count): the policy's size, not the number of its statements, is what IAM limits.
_MAX_STATEMENTS_SHARING_A_WILDCARD = 15
# The action families of aws-cdk-lib's `grant_read`/`grant_read_write` (S3) and `grant_encrypt_decrypt` (KMS),
# and the actions they stand for on a PlatformRole. What uses them: objects and their versions, the bucket's
# location, ACL and versioning (CodeBuild, CodePipeline), listing, deleting and aborting uploads of objects;
# S3 (SSE-KMS), SQS, SNS and CloudWatch Logs ask for data keys with GenerateDataKey only and never re-encrypt.
NAMED_ACTIONS: dict[str, tuple[str, ...]] = {
    "s3:GetObject*": ("s3:GetObject", "s3:GetObjectVersion"),
    "s3:GetBucket*": ("s3:GetBucketLocation", "s3:GetBucketAcl", "s3:GetBucketVersioning"),
    "s3:List*": ("s3:ListBucket",),
    "s3:DeleteObject*": ("s3:DeleteObject",),
    "s3:Abort*": ("s3:AbortMultipartUpload",),
    "kms:GenerateDataKey*": ("kms:GenerateDataKey",),
    "kms:ReEncrypt*": (),
}


class PlatformRole(iam.Role):
    """An `iam.Role` whose added statements go to customer managed policies.

    Takes exactly the props of `iam.Role`. Example::

        role = PlatformRole(self, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        bucket.grant_read(role)          # lands in role/Policy1, an AWS::IAM::ManagedPolicy
    """

    def __init__(self, scope: Construct, id: str, **props: object) -> None:
        super().__init__(scope, id, **props)  # type: ignore[arg-type]
        self._policies: list[iam.ManagedPolicy] = []
        # Per policy: statements, estimated characters, and the wildcards (resources, actions) it grants.
        self._statements: list[int] = []
        self._chars: list[int] = []
        self._wildcards: list[set[str]] = []
        self._stack = cdk.Stack.of(self)  # once: every grant below would ask jsii for it again
        self._held_by: iam.ManagedPolicy | None = None

    def grant_held_by(self, policy: iam.ManagedPolicy, statement: iam.PolicyStatement) -> iam.Grant:
        """The grant of `statement`, which `policy` already holds and is attached to this role (a policy several
        roles share): an `iam.Grant` like any other (its principal statement, `policy` to depend on), and
        nothing added to this role's own policies."""
        self._held_by = policy
        try:
            return iam.Grant.add_to_principal(
                grantee=self,
                actions=statement.actions,
                resource_arns=statement.resources,
                conditions=statement.conditions or None,
            )
        finally:
            self._held_by = None

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        return self.add_rendered(statement)[0]

    def add_rendered(
        self, statement: iam.PolicyStatement
    ) -> tuple[iam.AddToPrincipalPolicyResult, dict[str, Any] | None]:
        """`add_to_principal_policy`, also returning `statement` as rendered in this role's stack (tokens resolved),
        for a caller that reads it next (`wildcards.add_statement`): each rendering is jsii round trips. None when
        the role added a rewritten statement (`_normalized`) or none (`grant_held_by`)."""
        if self._held_by is not None:
            return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=self._held_by), None
        rendered: dict[str, Any] = self._stack.resolve(statement.to_statement_json())
        given: dict[str, Any] | None = rendered
        # Reading the actions and resources of the statement is two more round trips, needed only when the
        # rendered actions name one that `_normalized` rewrites.
        if _may_rewrite(rendered):
            normalized = _normalized(statement)
            if normalized is not statement:
                statement, given = normalized, None
                rendered = self._stack.resolve(statement.to_statement_json())
        size = len(json.dumps(rendered, default=str))
        wildcards = _wildcards(rendered)
        # A wildcard the role already grants goes to the policy that holds it, when its size allows: the role
        # then shows each wildcard once, whichever grant brought it, instead of once per policy the grants filled.
        index = next(
            (
                i
                for i, held in enumerate(self._wildcards)
                if wildcards & held
                and self._statements[i] < _MAX_STATEMENTS_SHARING_A_WILDCARD
                and self._chars[i] + size <= MAX_ESTIMATED_CHARS_PER_POLICY
            ),
            None,
        )
        if index is None:
            if (
                not self._policies
                or self._statements[-1] >= _MAX_STATEMENTS_PER_POLICY
                or self._chars[-1] + size > MAX_ESTIMATED_CHARS_PER_POLICY
            ):
                self._policies.append(iam.ManagedPolicy(self, f"Policy{len(self._policies) + 1}", roles=[self]))
                self._statements.append(0)
                self._chars.append(0)
                self._wildcards.append(set())
            index = len(self._policies) - 1
        policy = self._policies[index]
        policy.add_statements(statement)
        self._statements[index] += 1
        self._chars[index] += size
        self._wildcards[index] |= wildcards
        return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=policy), given

    @property
    def managed_policies(self) -> tuple[iam.ManagedPolicy, ...]:
        """The customer managed policies holding this role's statements, in creation order."""
        return tuple(self._policies)


def _wildcards(rendered: dict[str, object]) -> set[str]:
    """The resources and actions of a rendered statement that hold a `*` (as JSON, tokens resolved)."""
    found: set[str] = set()
    for key in ("Resource", "Action"):
        for item in _as_list(rendered.get(key, [])):
            text = json.dumps(item, sort_keys=True, default=str)
            if "*" in text:
                found.add(f"{key}:{text}")
    return found


# The actions `_normalized` may rewrite: a statement naming none of them is added as it is.
_CONNECTION_ACTION = "codestar-connections:UseConnection"
_INVOKE_ACTION = "lambda:InvokeFunction"
_REWRITTEN_ACTIONS = frozenset({*NAMED_ACTIONS, _CONNECTION_ACTION, _INVOKE_ACTION})


def _may_rewrite(rendered: dict[str, Any]) -> bool:
    """Whether `_normalized` may change the statement rendered as `rendered` (its `Action` holds one it rewrites,
    or a value that is not a plain string)."""
    return any(
        not isinstance(action, str) or action in _REWRITTEN_ACTIONS for action in _as_list(rendered.get("Action", []))
    )


def _as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _normalized(statement: iam.PolicyStatement) -> iam.PolicyStatement:
    """The statement with the connection action fitted to its resources, no version wildcards and named actions.

    Reads the statement's actions and resources once (each read is a round trip to jsii) and builds a new
    statement only when one of the three rewrites changes something.
    """
    actions = list(statement.actions)
    resources = list(statement.resources)
    fitted = _connection_actions_for_resource(actions, resources)
    kept = _without_version_wildcards(fitted, resources, statement)
    named = _named_actions(fitted)
    if named == actions and kept == resources:
        return statement
    return iam.PolicyStatement(
        effect=statement.effect,
        actions=named,
        resources=kept,
        conditions=statement.conditions or None,
        sid=statement.sid,
    )


def name_default_policy_actions(role: iam.Role) -> None:
    """Name the grant families' actions (`NAMED_ACTIONS`) in the inline default policy of `role`, a role aws-cdk-lib
    creates itself (CDK Pipelines' self-mutation and asset publishing roles), which cannot be a `PlatformRole`.

    The policy's CloudFormation document becomes the document's statements as they are when the template is
    rendered (so every grant, even a later one, is in it), each family replaced by the actions it stands for
    (statements are not merged as the CDK would: the same permissions, maybe in more statements). Example::

        pipeline.build_pipeline()  # CDK Pipelines' grants are made
        name_default_policy_actions(pipeline.self_mutation_project.role)  # s3:GetObject* -> s3:GetObject, ...
    """
    policy = role.node.try_find_child("DefaultPolicy")
    if not isinstance(policy, iam.Policy):
        return
    cfn = policy.node.default_child
    assert isinstance(cfn, iam.CfnPolicy)
    cfn.policy_document = cdk.Lazy.any(_NamedActionsDocument(policy.document))


@jsii.implements(cdk.IStableAnyProducer)
class _NamedActionsDocument:
    """`document`'s statements (their tokens left to the resolver, so references across stacks still resolve),
    actions named."""

    def __init__(self, document: iam.PolicyDocument) -> None:
        self._document = document

    def produce(self) -> Any:
        rendered: dict[str, Any] = self._document.to_json()
        for statement in rendered.get("Statement", []):
            actions = _as_list(statement.get("Action", []))
            if all(isinstance(action, str) for action in actions):
                named = _named_actions([str(action) for action in actions])
                if named:
                    statement["Action"] = named[0] if len(named) == 1 else named
        return rendered


def _named_actions(actions: list[str]) -> list[str]:
    """The actions with the CDK grants' action families replaced by the actions they stand for (`NAMED_ACTIONS`)."""
    if not any(action in NAMED_ACTIONS for action in actions):
        return actions
    named: list[str] = []
    for action in actions:
        for replacement in NAMED_ACTIONS.get(action, (action,)):
            if replacement not in named:
                named.append(replacement)
    return named


def _connection_actions_for_resource(actions: list[str], resources: list[str]) -> list[str]:
    """The actions with `codestar-connections:UseConnection` renamed when the resources are `codeconnections`.

    CDK Pipelines grants `codestar-connections:UseConnection` on whatever connection ARN it is given; on an
    ``arn:<partition>:codeconnections:...`` connection the action's service prefix must be `codeconnections`.
    """
    legacy = _CONNECTION_ACTION
    if legacy not in actions or not resources:
        return actions
    if not all(not cdk.Token.is_unresolved(arn) and arn.split(":")[2:3] == ["codeconnections"] for arn in resources):
        return actions
    return ["codeconnections:UseConnection" if action == legacy else action for action in actions]


def _without_version_wildcards(actions: list[str], resources: list[str], statement: iam.PolicyStatement) -> list[str]:
    """The resources without the ``<function ARN>:*`` ones that CDK's `grant_invoke` adds beside each ARN.

    Every caller in this library (Step Functions tasks, the custom resource provider) invokes the unqualified
    function ARN; the version and alias wildcard would only widen the grant.
    """
    if actions != [_INVOKE_ACTION] or statement.not_resources:
        return resources
    return [arn for arn in resources if not (arn.endswith(":*") and arn[:-2] in resources)]
