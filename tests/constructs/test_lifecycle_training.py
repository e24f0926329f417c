"""The build pipeline's training step at scale: spot capacity with checkpoints, distributed training on EFA types."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from sagemaker_platform.constructs.hosting_catalog import INSTANCE_TYPES
from sagemaker_platform.constructs.lifecycle import (
    JobResources,
    LifecycleStorage,
    ModelBuildPipeline,
    Objective,
    PipelinePermissions,
    TrainingSettings,
)
from sagemaker_platform.constructs.lifecycle.training import distribution_hyperparameters
from sagemaker_platform.errors import PropsError
from tests.lifecycle_support import pipelines_of, request_problems

GROUP_ARN = "arn:aws:sagemaker:us-east-1:222222222222:model-package-group/churn"
PYTORCH = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3.0-gpu-py311"


def _build(training: TrainingSettings) -> tuple[dict[str, Any], dict[str, Any]]:
    """The rendered pipeline definition and the whole template."""
    stack = cdk.Stack(cdk.App(), "Lifecycle")
    storage = LifecycleStorage(stack, "Storage")
    job_role = iam.Role.from_role_name(stack, "JobRole", "mlplatform-sagemaker-execution")
    step_role = iam.Role.from_role_name(stack, "StepRole", "mlplatform-pipeline-step")
    PipelinePermissions(stack, "Permissions", pipeline_role=step_role, job_role=job_role, storage=storage)
    ModelBuildPipeline(
        stack,
        "Build",
        pipeline_name="churn-train",
        model_package_group_arn=GROUP_ARN,
        storage=storage,
        pipeline_role=step_role,
        job_role=job_role,
        lookup_function_arn="arn:aws:lambda:us-east-1:333333333333:function:lookup",
        objective=Objective(metric="auc", json_path="metrics.auc.value"),
        training=training,
    )
    template = cdk.assertions.Template.from_stack(stack).to_json()
    return pipelines_of(template)["churn-train"], template


def _train(definition: dict[str, Any]) -> dict[str, Any]:
    return next(step for step in definition["Steps"] if step["Type"] == "Training")


def _gpu(instance_type: str = "ml.p4d.24xlarge", count: int = 2, **settings: Any) -> TrainingSettings:
    return TrainingSettings(
        resources=JobResources(image=PYTORCH, instance_type=instance_type, instance_count=count), **settings
    )


def _refusal(training: TrainingSettings) -> str:
    with pytest.raises(PropsError) as caught:
        _build(training)
    return str(caught.value)


# --- spot --------------------------------------------------------------------------------------------


def test_given_spot_then_the_job_waits_twice_the_run_and_checkpoints_per_execution_in_the_lifecycle_bucket() -> None:
    definition, template = _build(TrainingSettings(use_spot=True))
    train = _train(definition)
    arguments = train["Arguments"]
    assert arguments["EnableManagedSpotTraining"] is True
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200}
    checkpoint = arguments["CheckpointConfig"]
    assert checkpoint["LocalPath"] == "/opt/ml/checkpoints"
    # <bucket>/churn-train/executions/<execution id>/checkpoints: a rerun never resumes an older execution.
    evaluation = next(s for s in definition["Steps"] if s["Name"] == "Evaluate")
    evaluation_uri = evaluation["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    executions = evaluation_uri["Std:Join"]["Values"][0]  # the lifecycle bucket (KMS default encryption)
    assert executions == "s3://<token>/churn-train/executions"
    assert checkpoint["S3Uri"] == {
        "Std:Join": {"On": "/", "Values": [executions, {"Get": "Execution.PipelineExecutionId"}, "checkpoints"]}
    }
    assert request_problems(train) == ""
    # The job role may write there: the job policy covers the lifecycle bucket's objects and its key.
    job_policy = next(
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::ManagedPolicy" and "Lifecycle pipeline jobs" in r["Properties"]["Description"]
    )
    statements = {s["Sid"]: s for s in job_policy["Properties"]["PolicyDocument"]["Statement"]}
    assert "s3:PutObject" in statements["LifecycleData"]["Action"]
    assert "kms:GenerateDataKey" in statements["LifecycleKey"]["Action"]


def test_given_on_demand_training_then_no_spot_fields_are_rendered() -> None:
    arguments = _train(_build(TrainingSettings())[0])["Arguments"]
    assert "EnableManagedSpotTraining" not in arguments and "CheckpointConfig" not in arguments
    assert arguments["StoppingCondition"] == {"MaxRuntimeInSeconds": 3600}


def test_given_an_explicit_wait_then_it_is_used() -> None:
    arguments = _train(_build(TrainingSettings(use_spot=True, max_wait_seconds=3600))[0])["Arguments"]
    assert arguments["StoppingCondition"]["MaxWaitTimeInSeconds"] == 3600


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (TrainingSettings(use_spot=True, max_wait_seconds=3599), "training.max_wait_seconds=3599: must be >= max_run"),
        (TrainingSettings(max_wait_seconds=7200), "training.max_wait_seconds=7200: only with use_spot=true"),
    ],
    ids=["wait-shorter-than-run", "wait-without-spot"],
)
def test_given_a_bad_spot_wait_then_refused_naming_the_prop(settings: TrainingSettings, expected: str) -> None:
    assert expected in _refusal(settings)


# --- distribution ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distribution", "flag"),
    [
        ("torchrun", "sagemaker_torch_distributed_enabled"),
        ("pytorchddp", "sagemaker_pytorch_ddp_enabled"),
        ("smdistributed", "sagemaker_distributed_dataparallel_enabled"),
    ],
)
def test_given_a_distribution_then_the_launch_hyperparameters_are_rendered_on_a_fixed_efa_type(
    distribution: str, flag: str
) -> None:
    definition, _ = _build(_gpu(distribution=distribution, hyperparameters={"epochs": "3"}))
    train = _train(definition)
    arguments = train["Arguments"]
    assert arguments["HyperParameters"][flag] == "true"
    assert arguments["HyperParameters"]["sagemaker_instance_type"] == '"ml.p4d.24xlarge"'
    assert arguments["HyperParameters"]["epochs"] == "3"
    # The type was validated at synth, so it is not a parameter an execution could override.
    assert arguments["ResourceConfig"]["InstanceType"] == "ml.p4d.24xlarge"
    assert arguments["ResourceConfig"]["InstanceCount"] == 2
    assert "TrainingInstanceType" not in [p["Name"] for p in definition["Parameters"]]
    assert request_problems(train) == ""


def test_given_spot_and_distribution_together_then_the_request_is_valid() -> None:
    train = _train(_build(_gpu(distribution="torchrun", use_spot=True))[0])
    assert train["Arguments"]["EnableManagedSpotTraining"] is True
    assert request_problems(train) == ""


def test_given_a_misspelled_spot_field_then_the_shape_check_fails() -> None:
    train = _train(_build(_gpu(distribution="torchrun", use_spot=True))[0])
    train["Arguments"]["CheckpointConfig"]["LocalPth"] = train["Arguments"]["CheckpointConfig"].pop("LocalPath")
    assert "LocalPth" in request_problems(train)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (_gpu("ml.m5.large", 1, distribution="torchrun"), "training.distribution='torchrun': ml.m5.large has no"),
        (_gpu("ml.trn1.32xlarge", 2, distribution="pytorchddp"), "allowed: a GPU type"),
        (_gpu("ml.g5.12xlarge", 2, distribution="pytorchddp"), "training.instance_type='ml.g5.12xlarge': distribution"),
        (_gpu("ml.g5.12xlarge", 1, distribution="smdistributed"), "needs an EFA-capable type"),
        (_gpu("ml.x9.huge", 1, distribution="torchrun"), "training.instance_type='ml.x9.huge': not in the instance"),
    ],
    ids=["cpu", "ddp-on-trainium", "multi-node-without-efa", "smddp-without-efa", "unknown-type"],
)
def test_given_distribution_on_an_unsuitable_type_then_refused_naming_the_prop(
    settings: TrainingSettings, expected: str
) -> None:
    assert expected in _refusal(settings)


@pytest.mark.parametrize(
    ("instance_type", "distribution", "count"),
    [("ml.g5.12xlarge", "pytorchddp", 1), ("ml.trn1.32xlarge", "torchrun", 4), ("ml.g6e.48xlarge", "torchrun", 2)],
)
def test_given_a_suitable_type_then_distribution_is_accepted(instance_type: str, distribution: str, count: int) -> None:
    train = _train(_build(_gpu(instance_type, count, distribution=distribution))[0])
    assert train["Arguments"]["ResourceConfig"]["InstanceType"] == instance_type


def test_the_catalog_marks_efa_on_the_multi_node_training_types_only() -> None:
    efa = {name for name, spec in INSTANCE_TYPES.items() if spec.efa}
    assert {"ml.p4d.24xlarge", "ml.p5.48xlarge", "ml.trn1.32xlarge", "ml.g5.48xlarge", "ml.g6e.8xlarge"} <= efa
    assert not efa & {"ml.g5.12xlarge", "ml.trn1.2xlarge", "ml.g6e.4xlarge", "ml.m5.large", "ml.p3.16xlarge"}


def test_smdistributed_renders_the_sdk_mpi_options() -> None:
    assert distribution_hyperparameters("smdistributed", "ml.p5.48xlarge") == {
        "sagemaker_distributed_dataparallel_enabled": "true",
        "sagemaker_instance_type": '"ml.p5.48xlarge"',
        "sagemaker_distributed_dataparallel_custom_mpi_options": '""',
    }
