"""The lifecycle pipelines' definitions: steps, order, conditions, parameters, validated against botocore shapes."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns

from sagemaker_platform.constructs.lifecycle import (
    BatchInferencePipeline,
    LifecycleStorage,
    ModelBuildPipeline,
    Objective,
)
from sagemaker_platform.constructs.lifecycle.definition import Get, Parameter, PipelineDefinition, Step
from sagemaker_platform.errors import PropsError
from tests.lifecycle_support import STEP_REQUESTS, all_steps, flatten, pipelines_of, request_problems
from tests.support import resources_of_type

GROUP_ARN = "arn:aws:sagemaker:us-east-1:222222222222:model-package-group/churn"
LOOKUP_ARN = "arn:aws:lambda:us-east-1:333333333333:function:lookup"


def _stack() -> tuple[cdk.Stack, dict[str, Any]]:
    stack = cdk.Stack(cdk.App(), "Lifecycle")
    common = {
        "storage": LifecycleStorage(stack, "Storage"),
        "pipeline_role": iam.Role.from_role_name(stack, "StepRole", "mlplatform-pipeline-step"),
        "job_role": iam.Role.from_role_name(stack, "JobRole", "mlplatform-sagemaker-execution"),
        "lookup_function_arn": LOOKUP_ARN,
        "model_package_group_arn": GROUP_ARN,
    }
    return stack, common


def _build(objective_type: str = "Maximize") -> dict[str, Any]:
    stack, common = _stack()
    ModelBuildPipeline(
        stack,
        "Build",
        pipeline_name="churn-train",
        objective=Objective(metric="validation:auc", json_path="metrics.auc.value", type=objective_type),  # type: ignore[arg-type]
        **common,
    )
    return pipelines_of(cdk.assertions.Template.from_stack(stack).to_json())["churn-train"]


def _batch() -> dict[str, Any]:
    stack, common = _stack()
    BatchInferencePipeline(
        stack,
        "Batch",
        pipeline_name="churn-batch",
        input_prefix="churn/in/",
        output_prefix="churn/out/",
        **common,
    )
    return pipelines_of(cdk.assertions.Template.from_stack(stack).to_json())["churn-batch"]


# --- the build pipeline ------------------------------------------------------------------------------


def test_given_a_build_pipeline_then_its_steps_run_preprocess_train_evaluate_lookup_gate_register() -> None:
    definition = _build()
    assert [(s["Name"], s["Type"]) for s in all_steps(definition["Steps"])] == [
        ("Preprocess", "Processing"),
        ("Train", "Training"),
        ("Evaluate", "Processing"),
        ("ChampionMetric", "Lambda"),
        ("ChampionChallengerGate", "Condition"),
        ("RegisterModel", "RegisterModel"),
    ]
    assert [p["Name"] for p in definition["Parameters"]] == [
        "InputDataUrl",
        "CodeUrl",
        "ProcessingInstanceType",
        "TrainingInstanceType",
    ]
    steps = {s["Name"]: s for s in all_steps(definition["Steps"])}
    # Order: training reads the preprocessing outputs, evaluation the model, the lookup waits for evaluation.
    train_channel = steps["Train"]["Arguments"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    assert train_channel == {"Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"}
    assert {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"} in [
        i["S3Input"]["S3Uri"] for i in steps["Evaluate"]["Arguments"]["ProcessingInputs"]
    ]
    assert steps["ChampionMetric"]["DependsOn"] == ["Evaluate"]
    assert steps["Evaluate"]["PropertyFiles"] == [
        {"PropertyFileName": "EvaluationReport", "OutputName": "evaluation", "FilePath": "evaluation.json"}
    ]


def test_given_a_maximized_objective_then_the_gate_registers_without_a_champion_or_when_the_challenger_is_greater() -> (
    None
):
    gate = next(s for s in _build()["Steps"] if s["Type"] == "Condition")
    challenger = {
        "Std:JsonGet": {
            "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
            "Path": "metrics.auc.value",
        }
    }
    assert gate["Arguments"]["Conditions"] == [
        {
            "Type": "Or",
            "Arguments": {
                "Conditions": [
                    {
                        "Type": "Equals",
                        "LeftValue": {"Get": "Steps.ChampionMetric.OutputParameters['has_champion']"},
                        "RightValue": False,
                    },
                    {
                        "Type": "GreaterThan",
                        "LeftValue": challenger,
                        "RightValue": {"Get": "Steps.ChampionMetric.OutputParameters['champion_metric']"},
                    },
                ]
            },
        }
    ]
    assert [s["Name"] for s in gate["Arguments"]["IfSteps"]] == ["RegisterModel"]
    assert gate["Arguments"]["ElseSteps"] == []


def test_given_a_minimized_objective_then_a_challenger_must_be_smaller() -> None:
    gate = next(s for s in _build("Minimize")["Steps"] if s["Type"] == "Condition")
    assert gate["Arguments"]["Conditions"][0]["Arguments"]["Conditions"][1]["Type"] == "LessThan"


def test_given_a_build_pipeline_then_the_challenger_is_registered_pending_with_its_evaluation_and_metric() -> None:
    register = next(s for s in all_steps(_build()["Steps"]) if s["Type"] == "RegisterModel")["Arguments"]
    assert register["ModelPackageGroupName"] == GROUP_ARN
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelMetrics"]["ModelQuality"]["Statistics"]["ContentType"] == "application/json"
    metadata = register["CustomerMetadataProperties"]
    # The key the lookup reads for the next gate, as the tuning register step writes it.
    assert metadata["objective_value"] == {
        "Std:Join": {
            "On": "",
            "Values": [
                {
                    "Std:JsonGet": {
                        "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.EvaluationReport"},
                        "Path": "metrics.auc.value",
                    }
                }
            ],
        }
    }
    lookup = next(s for s in _build()["Steps"] if s["Type"] == "Lambda")
    assert lookup["FunctionArn"] == LOOKUP_ARN
    assert lookup["Arguments"] == {"model_package_group": GROUP_ARN, "mode": "champion"}


# --- the batch inference pipeline ------------------------------------------------------------------


def test_given_a_batch_pipeline_then_it_scores_with_the_latest_approved_version_and_encrypts_the_output() -> None:
    definition = _batch()
    assert [(s["Name"], s["Type"]) for s in definition["Steps"]] == [
        ("LatestApprovedVersion", "Lambda"),
        ("CreateModel", "Model"),
        ("BatchTransform", "Transform"),
    ]
    lookup, model, transform = definition["Steps"]
    assert lookup["Arguments"]["mode"] == "latest"
    assert model["Arguments"]["PrimaryContainer"]["ModelPackageName"] == {
        "Get": "Steps.LatestApprovedVersion.OutputParameters['model_package_arn']"
    }
    assert transform["Arguments"]["ModelName"] == {"Get": "Steps.CreateModel.ModelName"}
    assert transform["Arguments"]["TransformOutput"]["KmsKeyId"] == "<token>"
    assert transform["Arguments"]["TransformResources"]["VolumeKmsKeyId"] == "<token>"
    defaults = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
    assert defaults["InputDataUrl"] == "s3://<token>/churn/in"
    assert defaults["OutputUrl"] == "s3://<token>/churn/out"


def test_given_bad_batch_props_then_one_error_names_each() -> None:
    stack, common = _stack()
    with pytest.raises(PropsError) as caught:
        BatchInferencePipeline(
            stack,
            "Batch",
            pipeline_name="bad_name",
            input_prefix="/in",
            output_prefix="out",
            instance_count=0,
            **common,
        )
    message = str(caught.value)
    for prop in ("pipeline_name='bad_name'", "input_prefix='/in'", "output_prefix='out'", "instance_count=0"):
        assert prop in message


def test_given_a_misspelt_or_missing_shared_prop_then_the_pipeline_refuses_it_as_a_signature_would() -> None:
    stack, common = _stack()
    with pytest.raises(TypeError, match=r"BatchInferencePipeline\(\) got unexpected keyword arguments: topics"):
        BatchInferencePipeline(
            stack, "Typo", pipeline_name="p", input_prefix="a/", output_prefix="b/", topics=[], **common
        )
    del common["job_role"]
    with pytest.raises(TypeError, match=r"ModelBuildPipeline\(\) missing required keyword arguments: job_role"):
        ModelBuildPipeline(
            stack, "Missing", pipeline_name="p", objective=Objective(metric="m", json_path="m"), **common
        )


# --- request shapes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [_build, _batch], ids=["build", "batch"])
def test_every_step_request_is_valid_for_its_sagemaker_api(render: Any) -> None:
    checked = 0
    for step in all_steps(render()["Steps"]):
        if step["Type"] in STEP_REQUESTS:
            assert request_problems(step) == "", step["Name"]
            checked += 1
    assert checked >= 2


def test_given_a_misspelled_request_field_then_the_shape_check_fails() -> None:
    train = next(s for s in _build()["Steps"] if s["Type"] == "Training")
    train["Arguments"]["ResourceConfig"]["InstanceCont"] = train["Arguments"]["ResourceConfig"].pop("InstanceCount")
    assert "InstanceCont" in request_problems(train)


# --- the definition model ---------------------------------------------------------------------------


def test_given_a_reference_to_an_unknown_step_or_parameter_then_rendering_refuses() -> None:
    with pytest.raises(ValueError, match="unknown step"):
        PipelineDefinition(parameters=(), steps=(Step("A", "Fail", {"ErrorMessage": Get("Steps.B.X")}),)).render()
    with pytest.raises(ValueError, match="unknown parameter"):
        PipelineDefinition(
            parameters=(Parameter("P", "String", "x"),),
            steps=(Step("A", "Fail", {"ErrorMessage": Get("Parameters.Q")}),),
        ).render()
    with pytest.raises(ValueError, match="unique"):
        PipelineDefinition(parameters=(), steps=(Step("A", "Fail"), Step("A", "Fail"))).render()


def test_given_a_topic_then_each_gate_outcome_and_each_failed_run_is_notified() -> None:
    stack, common = _stack()
    topic = sns.Topic(stack, "Topic")
    ModelBuildPipeline(
        stack,
        "Build",
        pipeline_name="churn-train",
        objective=Objective(metric="validation:auc", json_path="metrics.auc.value"),
        topic=topic,
        **common,
    )
    template = cdk.assertions.Template.from_stack(stack).to_json()
    (topic_id,) = resources_of_type(template, "AWS::SNS::Topic")
    patterns = {
        rule["Properties"]["EventPattern"]["detail-type"][0]: rule["Properties"]
        for rule in resources_of_type(template, "AWS::Events::Rule").values()
    }
    # The gate step's status event carries its outcome (which branch ran): the notification holds it.
    gate = patterns["SageMaker Model Building Pipeline Execution Step Status Change"]
    assert gate["EventPattern"]["source"] == ["aws.sagemaker"]
    assert gate["EventPattern"]["detail"]["stepName"] == ["ChampionChallengerGate"]
    assert gate["EventPattern"]["detail"]["currentStepStatus"] == ["Succeeded"]
    assert "churn-train" in flatten(gate["EventPattern"]["detail"]["pipelineArn"][0])
    failed = patterns["SageMaker Model Building Pipeline Execution Status Change"]
    assert failed["EventPattern"]["detail"]["currentPipelineExecutionStatus"] == ["Failed"]
    for rule in (gate, failed):
        (target,) = rule["Targets"]
        assert target["Arn"] == {"Ref": topic_id}
        assert "DeadLetterConfig" in target
