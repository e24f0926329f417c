"""What an `EndpointMonitor`'s principals may do: the monitoring jobs read the endpoint's captured data, and
EventBridge starts the retraining pipeline on a violation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from sagemaker_platform.constructs.lifecycle.rules import events_role
from sagemaker_platform.constructs.shared_policies import SharedPolicies, SharedStatement

if TYPE_CHECKING:
    from sagemaker_platform.constructs.lifecycle.monitoring import EndpointMonitor


def grant_capture_read(monitor: EndpointMonitor, job_role: iam.IRole, bucket: str, key_alias: str) -> None:
    """Let the monitoring jobs read this endpoint's captured data. Every monitor of the stack adds its
    statements to one policy of the job role (`SharedPolicies.collect`): one attached policy, not one per
    monitor (a role holds 10), and the hosting key's statement, the same for all, once."""
    stack = cdk.Stack.of(monitor)
    capture = f"arn:{stack.partition}:s3:::{bucket}/data-capture/{monitor.endpoint_name}/*"
    SharedPolicies.of(job_role).collect(
        job_role,
        "CaptureRead",
        [
            SharedStatement(
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[capture]),
                f"SageMaker writes captured requests under per-hour keys of {monitor.endpoint_name}'s capture prefix",
            ),
            SharedStatement(
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[f"arn:{stack.partition}:s3:::{bucket}"],
                    conditions={"StringLike": {"s3:prefix": f"data-capture/{monitor.endpoint_name}/*"}},
                )
            ),
            SharedStatement(
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[stack.format_arn(service="kms", resource="key", resource_name="*")],
                    conditions={
                        "StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"},
                        "ForAnyValue:StringEquals": {"kms:ResourceAliases": [key_alias]},
                    },
                ),
                f"the hosting key's ARN is not known outside its stack; only the key aliased {key_alias} "
                "(kms:ResourceAliases), through S3 (kms:ViaService)",
            ),
        ],
        "Monitoring jobs: read the endpoints' captured data (decrypting it through S3)",
    )


def retrain_start_role(monitor: EndpointMonitor, pipeline_arn: str) -> iam.IRole:
    """The role EventBridge assumes to start the retraining pipeline `pipeline_arn` on a violation."""
    role = events_role(
        monitor, "RetrainRole", description=f"Starts the retraining pipeline when {monitor.endpoint_name} drifts"
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["sagemaker:StartPipelineExecution"], resources=[pipeline_arn])
    )
    return role
