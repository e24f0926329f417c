"""`BatchInferencePipeline`: scores a prefix with the latest Approved version of a group (SageMaker Pipelines).

Latest Approved version (a Lambda step, `RegistryLookup`, resolved at run time) → a SageMaker model from it
(Model step) → a Transform step writing KMS-encrypted output under ``<OutputUrl>/<execution id>/``.
"""

from __future__ import annotations

from typing import Unpack

from constructs import Construct

from sagemaker_platform.constructs.lifecycle.definition import (
    EXECUTION_ID,
    Get,
    Join,
    Parameter,
    PipelineDefinition,
    Step,
    parameter,
    step_output,
)
from sagemaker_platform.constructs.lifecycle.lookup import lookup_step
from sagemaker_platform.constructs.lifecycle.pipeline import LifecyclePipeline, PipelineProps, check_pipeline_name
from sagemaker_platform.constructs.lifecycle.storage import LifecycleStorage
from sagemaker_platform.constructs.lifecycle.transform import SPLIT_TYPES, TransformRecords, transform_request
from sagemaker_platform.errors import ProblemCollector

LATEST, CREATE_MODEL, TRANSFORM = "LatestApprovedVersion", "CreateModel", "BatchTransform"


class BatchInferencePipeline(LifecyclePipeline):
    """Batch scoring with the latest Approved version of a model package group.

    Example::

        # pipeline_props: a `PipelineProps` (name, group, storage, roles, lookup function), as in the
        # `ModelBuildPipeline` example
        BatchInferencePipeline(self, "ChurnBatch", **pipeline_props,
                               input_prefix="churn/batch/input/", output_prefix="churn/batch/output/")

    :param input_prefix: key prefix of the records to score in the lifecycle bucket (the `InputDataUrl`
        parameter's default; a schedule may pass another).
    :param output_prefix: key prefix of the scores (`OutputUrl`'s default); each execution writes under its id.
    :param instance_type: Default: ml.m5.large. :param instance_count: Default: 1.
    :param content_type: of the input records. Default: text/csv. :param accept: of the output. Default: text/csv.
    :param split_type: how records are split. Default: Line.
    :param props: the `PipelineProps` every lifecycle pipeline takes (`topic`: notified of each failed execution).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        input_prefix: str,
        output_prefix: str,
        instance_type: str = "ml.m5.large",
        instance_count: int = 1,
        content_type: str = "text/csv",
        accept: str = "text/csv",
        split_type: str = "Line",
        **props: Unpack[PipelineProps],
    ) -> None:
        super().__init__(scope, id, **props)
        _validate(self._name, input_prefix, output_prefix, instance_count, split_type)
        self.definition = _render_definition(
            self._storage,
            input_prefix=input_prefix,
            output_prefix=output_prefix,
            instance_type=instance_type,
            lookup=lookup_step(
                LATEST, function_arn=self._lookup_arn, model_package_group_arn=self._group_arn, mode="latest"
            ),
            model=Step(
                name=CREATE_MODEL,
                type="Model",
                arguments={
                    "ExecutionRoleArn": self._job_role.role_arn,
                    "PrimaryContainer": {"ModelPackageName": step_output(LATEST, "model_package_arn")},
                    "EnableNetworkIsolation": True,
                },
            ),
            records=TransformRecords(content_type=content_type, accept=accept, split_type=split_type),
            instance_count=instance_count,
        )
        self._create_pipeline(
            "Scores a prefix with the latest Approved version of a model package group", self.definition
        )
        if self._topic is not None:
            self._notify_failed(self._topic)


def _validate(pipeline_name: str, input_prefix: str, output_prefix: str, instance_count: int, split_type: str) -> None:
    problems = ProblemCollector("BatchInferencePipeline")
    check_pipeline_name(problems, pipeline_name)
    for label, prefix in (("input_prefix", input_prefix), ("output_prefix", output_prefix)):
        problems.check(
            prefix.endswith("/") and not prefix.startswith("/"),
            f"{label}={prefix!r}: a key prefix like 'churn/batch/' (ends in '/', no leading '/')",
        )
    problems.check(instance_count >= 1, f"instance_count={instance_count}: >= 1")
    problems.check(split_type in SPLIT_TYPES, f"split_type={split_type!r}: one of {', '.join(SPLIT_TYPES)}")
    problems.raise_if_any()


def _render_definition(
    storage: LifecycleStorage,
    *,
    input_prefix: str,
    output_prefix: str,
    instance_type: str,
    lookup: Step,
    model: Step,
    records: TransformRecords,
    instance_count: int,
) -> PipelineDefinition:
    """Parameters (a schedule may pass other prefixes or instance type), lookup → model → transform."""
    return PipelineDefinition(
        parameters=(
            Parameter("InputDataUrl", "String", storage.s3_uri(input_prefix.rstrip("/"))),
            Parameter("OutputUrl", "String", storage.s3_uri(output_prefix.rstrip("/"))),
            Parameter("TransformInstanceType", "String", instance_type),
        ),
        steps=(
            lookup,
            model,
            Step(
                name=TRANSFORM,
                type="Transform",
                arguments=transform_request(
                    model_name=Get(f"Steps.{CREATE_MODEL}.ModelName"),
                    input_uri=parameter("InputDataUrl"),
                    output_uri=Join((parameter("OutputUrl"), EXECUTION_ID), on="/"),
                    records=records,
                    instance_type=parameter("TransformInstanceType"),
                    instance_count=instance_count,
                    kms_key=storage.key.key_arn,
                ),
            ),
        ),
    )
