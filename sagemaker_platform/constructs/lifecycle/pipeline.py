"""What every lifecycle pipeline construct does with its rendered definition: the `AWS::SageMaker::Pipeline`
resource, its ARN, the name check and the failed-execution notification (one place, not one per construct);
`LifecyclePipeline`, the base keeping the `PipelineProps` every pipeline construct takes."""

from __future__ import annotations

import re
from typing import TypedDict, Unpack

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
from sagemaker_platform.constructs.lifecycle.storage import LifecycleStorage
from sagemaker_platform.contracts import names
from sagemaker_platform.errors import ProblemCollector, check_keywords

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


class _RequiredPipelineProps(TypedDict):
    pipeline_name: str
    model_package_group_arn: str
    storage: LifecycleStorage
    pipeline_role: iam.IRole
    job_role: iam.IRole
    lookup_function_arn: str


class PipelineProps(_RequiredPipelineProps, total=False):
    """The props every lifecycle pipeline construct takes, keyword-only.

    :param pipeline_name: the SageMaker pipeline's name (schedules and rules target its ARN).
    :param model_package_group_arn: the group the pipeline reads versions of (and registers in, when it builds).
    :param storage: the bucket of inputs, code and reports, and the key of volumes and outputs.
    :param pipeline_role: the pipeline's role; when it registers, it must be one the registry trusts.
    :param job_role: the role of the processing, training and transform jobs.
    :param lookup_function_arn: the `RegistryLookup` function its lookup step calls.
    :param topic: notified of each failed execution (and what else the pipeline reports). Default: none.
    """

    topic: sns.ITopic | None


class LifecyclePipeline(Construct):
    """Keeps the `PipelineProps`; a subclass renders its definition, then calls `_create_pipeline`."""

    def __init__(self, scope: Construct, id: str, **props: Unpack[PipelineProps]) -> None:
        super().__init__(scope, id)
        check_keywords(type(self).__name__, props, PipelineProps)
        self._name = props["pipeline_name"]
        self._group_arn, self._lookup_arn = props["model_package_group_arn"], props["lookup_function_arn"]
        self._storage, self._job_role, self._pipeline_role = props["storage"], props["job_role"], props["pipeline_role"]
        self._topic = props.get("topic")

    def _create_pipeline(self, description: str, definition: PipelineDefinition) -> None:
        """`pipeline` and `pipeline_arn` from the rendered `definition`."""
        self.pipeline, self.pipeline_arn = create_pipeline(
            self, pipeline_name=self._name, description=description, role=self._pipeline_role, definition=definition
        )

    def _notify_failed(self, topic: sns.ITopic) -> events.Rule:
        return notify_failed(
            self,
            pipeline_name=self._name,
            pipeline_arn=self.pipeline_arn,
            topic=topic,
            dead_letter_queue=self._storage.rule_dead_letter_queue,
        )
