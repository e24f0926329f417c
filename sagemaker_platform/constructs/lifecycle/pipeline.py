"""What every lifecycle pipeline construct does with its rendered definition: the `AWS::SageMaker::Pipeline`
resource, its ARN, the name check and the failed-execution notification (one place, not one per construct)."""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sagemaker_platform.constructs.lifecycle.definition import PipelineDefinition
from sagemaker_platform.constructs.lifecycle.rules import sagemaker_rule
from sagemaker_platform.contracts import names
from sagemaker_platform.errors import ProblemCollector

PIPELINE_STEP_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Step Status Change"
PIPELINE_STATUS_CHANGE = "SageMaker Model Building Pipeline Execution Status Change"
PIPELINE_NAME_PATTERN = names.PIPELINE_NAME


def check_pipeline_name(problems: ProblemCollector, pipeline_name: str) -> None:
    problems.check(
        bool(re.match(PIPELINE_NAME_PATTERN, pipeline_name)),
        f"pipeline_name={pipeline_name!r}: letters, digits and inner hyphens, at most 256 characters",
    )


def create_pipeline(
    scope: Construct, *, pipeline_name: str, description: str, role: iam.IRole, definition: PipelineDefinition
) -> tuple[sagemaker.CfnPipeline, str]:
    """The pipeline resource (construct id ``Pipeline`` under `scope`) and its ARN."""
    stack = cdk.Stack.of(scope)
    pipeline = sagemaker.CfnPipeline(
        scope,
        "Pipeline",
        pipeline_name=pipeline_name,
        pipeline_description=description,
        role_arn=role.role_arn,
        pipeline_definition={"PipelineDefinitionBody": stack.to_json_string(definition.render())},
    )
    # SageMaker lower-cases pipeline names in ARNs.
    arn = stack.format_arn(service="sagemaker", resource="pipeline", resource_name=pipeline_name.lower())
    return pipeline, arn


def notify_failed(
    scope: Construct,
    *,
    pipeline_name: str,
    pipeline_arn: str,
    topic: sns.ITopic,
    dead_letter_queue: sqs.IQueue,
) -> events.Rule:
    """A rule (construct id ``Failed``) notifying `topic` of each failed execution of the pipeline."""
    return sagemaker_rule(
        scope,
        "Failed",
        description=f"{pipeline_name}: execution failed",
        detail_type=PIPELINE_STATUS_CHANGE,
        detail={"pipelineArn": [pipeline_arn], "currentPipelineExecutionStatus": ["Failed"]},
        targets=[targets.SnsTopic(topic, dead_letter_queue=dead_letter_queue)],
    )
