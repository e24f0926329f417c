"""What each part of the deploy pipeline may do (least privilege, one place): action lists and the statements.

Every IAM statement the deploy constructs add is rendered by a function here, named for what it allows,
so a reviewer (or a compliance change) finds and edits each grant in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from sagemaker_platform import naming
from sagemaker_platform.compliance import acknowledge
from sagemaker_platform.constructs.deploy.settings import GROUP_INDEX, MwaaTrigger

TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"]
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
STOP_EXECUTION_ACTIONS = ["states:StopExecution"]
MWAA_ACTIONS = ["airflow:InvokeRestApi"]
START_PIPELINE_ACTIONS = ["sagemaker:StartPipelineExecution"]
# What each function's handler touches in the tooling account (the endpoint step works only in the stages).
FUNCTION_NEEDS = {
    "EndpointStep": frozenset[str](),
    "ApprovalStep": frozenset({"table", "topic"}),
    "RecordStep": frozenset({"table", "topic", "bus"}),
    "Start": frozenset({"table", "topic", "bus"}),  # topic: an older approval is refused with a notification
    "Reject": frozenset({"table", "topic", "bus"}),
    "GitLabTrigger": frozenset({"table"}),
    "MwaaTrigger": frozenset({"table"}),
}


def assume_roles_statement(role_arns: Sequence[str]) -> iam.PolicyStatement:
    """sts:AssumeRole on exactly `role_arns` (the pipeline role, or the stages' deploy roles)."""
    return iam.PolicyStatement(actions=["sts:AssumeRole"], resources=list(role_arns))


def grant_bookkeeping(
    grantee: iam.IGrantable, needs: frozenset[str], *, table: dynamodb.ITable, topic: sns.ITopic, key: kms.IKey
) -> None:
    """The claims table (items, the group index) and/or the topic, and the key they are encrypted with."""
    if "table" in needs:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=TABLE_ACTIONS,
                resources=[table.table_arn, f"{table.table_arn}/index/{GROUP_INDEX}"],
            )
        )
    if "topic" in needs:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        )
    if "table" in needs or "topic" in needs:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[key.key_arn])
        )


def grant_stop_executions(role: iam.IRole, platform_name: str) -> None:
    """Let the reject step stop the deploy state machine's executions (named at run time, hence the `*`)."""
    stack = cdk.Stack.of(role)
    state_machine_name = naming.deploy_state_machine_name(platform_name)
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=STOP_EXECUTION_ACTIONS,
            resources=[
                stack.format_arn(
                    service="states",
                    resource="execution",
                    resource_name=f"{state_machine_name}:*",
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
    )
    executions = f"execution:{state_machine_name}:*"
    acknowledge(
        role,
        {
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:"
            f"{_nag(stack.region, 'Region')}:{_nag(stack.account, 'AccountId')}:{executions}]": "executions "
            "get their names at run time; the grant is scoped to executions of this pipeline's state machine"
        },
    )


def grant_invoke_mwaa(role: iam.IRole, mwaa: MwaaTrigger) -> None:
    """Let the MWAA trigger call the Airflow REST API of one environment as one Airflow role."""
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=MWAA_ACTIONS,
            resources=[
                cdk.Stack.of(role).format_arn(
                    service="airflow",
                    resource="role",
                    resource_name=f"{mwaa.environment_name}/{mwaa.airflow_role}",
                )
            ],
        )
    )


def grant_start_pipelines(
    role: iam.IRole, pipeline_arns: Sequence[str], dead_letter_queue_arn: str, key: kms.IKey
) -> None:
    """Let the schedules and the retraining rules start the pipelines and dead-letter what they could not start."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=START_PIPELINE_ACTIONS, resources=list(pipeline_arns)))
    role.add_to_principal_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dead_letter_queue_arn]))
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
    )


def _nag(value: str, pseudo: str) -> str:
    """How cdk-nag prints a stack's region or account in a finding id: the value, or `<AWS::Pseudo>`."""
    return f"<AWS::{pseudo}>" if cdk.Token.is_unresolved(value) else value
