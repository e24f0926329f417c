"""The build's model quality baseline, end to end in the reference app: a monitor with `model_quality` on an
endpoint of a built group makes the build score its test split and register a model quality baseline, and the
monitor's job definition reads it; the compliance gate stays green."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagemaker_platform.config import parse_config
from sagemaker_platform.config.checks import build_model_quality
from sagemaker_platform.errors import ConfigError
from tests.lifecycle_support import flatten, pipelines_of, request_problems
from tests.support import default_config_raw, resources_of_type, synth_platform, templates_of
from tests.wiring_helpers import allows, as_list

QUALITY = {
    "ground_truth_prefix": "churn/ground-truth/",
    "problem_type": "BinaryClassification",
    "probability_attribute": "0",
    "probability_threshold": 0.5,
}
BASELINE_SUFFIX = "/churn/baselines/churn-train/model-quality"


def _raw(**build: Any) -> dict[str, Any]:
    """The default (sandbox) config, its churn-async monitor checking model quality too."""
    raw = copy.deepcopy(default_config_raw())
    raw["lifecycle"]["monitoring"][0]["model_quality"] = dict(QUALITY)
    raw["lifecycle"]["build"][0].update(build)
    return raw


@pytest.fixture(scope="module")
def lifecycle_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The lifecycle stack of that config, synthesized with the compliance gate on (a finding fails synth)."""
    assembly = synth_platform(_raw(), tmp_path_factory.mktemp("model-quality") / "cdk.out")
    return templates_of(assembly)["mlplatform-lifecycle"]


def _gate_branch(template: dict[str, Any]) -> list[dict[str, Any]]:
    build = pipelines_of(template)["churn-train"]
    gate = next(step for step in build["Steps"] if step["Type"] == "Condition")
    branch: list[dict[str, Any]] = gate["Arguments"]["IfSteps"]
    return branch


def test_given_a_model_quality_monitor_then_the_build_scores_the_test_split_and_baselines_before_registering(
    lifecycle_template: dict[str, Any],
) -> None:
    branch = _gate_branch(lifecycle_template)
    # In the gate's branch: only a registered challenger replaces the baselines the monitors read.
    assert [(step["Name"], step["Type"]) for step in branch] == [
        ("DataQualityBaseline", "QualityCheck"),
        ("ChallengerModel", "Model"),
        ("ScoreTestSplit", "Transform"),
        ("ModelQualityBaseline", "QualityCheck"),
        ("RegisterModel", "RegisterModel"),
    ]
    steps = {step["Name"]: step for step in branch}
    model = steps["ChallengerModel"]["Arguments"]
    assert model["PrimaryContainer"]["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert model["EnableNetworkIsolation"] is True
    score = steps["ScoreTestSplit"]["Arguments"]
    # Each data dependency is a property of the step before: SageMaker orders the steps by them.
    assert score["ModelName"] == {"Get": "Steps.ChallengerModel.ModelName"}
    assert score["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Steps.Preprocess.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"
    }
    # The label (first column) is not sent to the model, and is joined back before the answer.
    assert score["DataProcessing"] == {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}
    assert "KmsKeyId" in score["TransformOutput"] and "VolumeKmsKeyId" in score["TransformResources"]
    check = steps["ModelQualityBaseline"]
    assert {key: check[key] for key in ("CheckType", "SkipCheck", "RegisterNewBaseline")} == {
        "CheckType": "MODEL_QUALITY",
        "SkipCheck": True,
        "RegisterNewBaseline": True,
    }
    arguments = check["Arguments"]
    assert arguments["ProcessingInputs"][0]["S3Input"]["S3Uri"] == {
        "Get": "Steps.ScoreTestSplit.TransformOutput.S3OutputPath"
    }
    environment = arguments["Environment"]
    assert {key: environment[key] for key in environment if key not in ("dataset_source", "output_path")} == {
        "dataset_format": '{"csv": {"header": false}}',
        "publish_cloudwatch_metrics": "Disabled",
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "ground_truth_attribute": "_c0",
        "probability_attribute": "_c1",
        "probability_threshold_attribute": "0.5",
    }
    register = steps["RegisterModel"]["Arguments"]
    drift = register["DriftCheckBaselines"]["ModelQuality"]
    assert drift["Constraints"]["S3Uri"] == {"Get": "Steps.ModelQualityBaseline.BaselineUsedForDriftCheckConstraints"}
    assert drift["Statistics"]["S3Uri"] == {"Get": "Steps.ModelQualityBaseline.BaselineUsedForDriftCheckStatistics"}
    assert register["ModelMetrics"]["ModelQuality"]["Constraints"]["S3Uri"] == {
        "Get": "Steps.ModelQualityBaseline.CalculatedBaselineConstraints"
    }
    assert "ModelDataQuality" in register["DriftCheckBaselines"]


def test_the_model_quality_monitor_reads_the_constraints_the_build_writes(lifecycle_template: dict[str, Any]) -> None:
    check = next(step for step in _gate_branch(lifecycle_template) if step["Name"] == "ModelQualityBaseline")
    written = check["Arguments"]["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
    assert written.endswith(BASELINE_SUFFIX)
    (job,) = resources_of_type(lifecycle_template, "AWS::SageMaker::ModelQualityJobDefinition").values()
    read = flatten(job["Properties"]["ModelQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"])
    assert read == f"{flatten(written)}/constraints.json"
    assert job["Properties"]["ModelQualityAppSpecification"]["ProblemType"] == "BinaryClassification"


def test_every_new_step_request_is_valid_for_its_sagemaker_api(lifecycle_template: dict[str, Any]) -> None:
    checked = [step for step in _gate_branch(lifecycle_template) if step["Type"] != "Condition"]
    assert {"Model", "Transform", "QualityCheck", "RegisterModel"} <= {step["Type"] for step in checked}
    for step in checked:
        assert request_problems(step) == "", step["Name"]


def test_given_a_misspelled_transform_field_then_the_shape_check_fails(lifecycle_template: dict[str, Any]) -> None:
    score = next(step for step in _gate_branch(lifecycle_template) if step["Name"] == "ScoreTestSplit")
    processing = score["Arguments"]["DataProcessing"]
    processing["JoinWith"] = processing.pop("JoinSource")
    assert "JoinWith" in request_problems(score)


def test_the_pipeline_role_runs_the_new_steps_with_the_statements_it_had(lifecycle_template: dict[str, Any]) -> None:
    attached = [
        statement
        for policy in resources_of_type(lifecycle_template, "AWS::IAM::ManagedPolicy").values()
        if policy["Properties"].get("Roles") == ["mlplatform-pipeline-step"]
        for statement in as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    ]
    jobs = "arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>"
    assert allows(attached, "sagemaker:CreateModel", f"{jobs}:model/pipelines-abc-challengermodel-x")
    assert allows(attached, "sagemaker:CreateTransformJob", f"{jobs}:transform-job/pipelines-abc-scoretestsplit-x")
    assert not allows(attached, "sagemaker:CreateTransformJob", f"{jobs}:transform-job/other")


def test_given_model_quality_baseline_false_then_no_scoring_and_the_monitor_reads_no_baseline() -> None:
    config = parse_config(_raw(model_quality_baseline=False))
    assert config.lifecycle is not None
    assert build_model_quality(config, config.lifecycle.build[0]) is None


def test_given_no_model_quality_monitor_then_the_build_computes_no_model_quality_baseline() -> None:
    config = parse_config(default_config_raw())
    assert config.lifecycle is not None
    assert build_model_quality(config, config.lifecycle.build[0]) is None


def test_given_a_json_only_model_then_refused_naming_the_build_content_types() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(_raw(content_types=["application/json"]))
    assert "lifecycle.build[0].content_types" in str(caught.value)


def test_given_monitors_that_disagree_on_the_baseline_then_refused_naming_the_second() -> None:
    raw = _raw()
    monitors = raw["lifecycle"]["monitoring"]
    monitors.append(
        {
            "endpoint": monitors[0]["endpoint"],
            "stage": "staging",
            "model_quality": {**QUALITY, "probability_threshold": 0.7},
        }
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    message = str(caught.value)
    assert "lifecycle.monitoring[1].model_quality.problem_type" in message
    assert "lifecycle.monitoring[0]" in message
