"""The champion/challenger gate of `ModelBuildPipeline`: the champion lookup, the condition, and in its branch
the baselines (data quality; model quality on the scored test split) and the registration of the challenger."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sagemaker_platform.constructs.lifecycle.baseline import (
    DATA_QUALITY_BASELINE,
    MODEL_QUALITY_BASELINE,
    SCORED_WITH_LABEL,
    CheckJob,
    ModelQualityBaseline,
    check_metrics,
    data_quality_check,
    model_quality_check,
)
from sagemaker_platform.constructs.lifecycle.build_jobs import EVALUATE, EVALUATION_REPORT, BuildJobs, split_uri
from sagemaker_platform.constructs.lifecycle.definition import (
    EXECUTION_ID,
    AnyOf,
    Comparison,
    ComparisonType,
    Get,
    Join,
    JsonGet,
    Step,
    Value,
    parameter,
    step_output,
)
from sagemaker_platform.constructs.lifecycle.lookup import lookup_step
from sagemaker_platform.constructs.lifecycle.settings import Objective
from sagemaker_platform.constructs.lifecycle.transform import TransformRecords, transform_request

# Step names are part of the definition's contract: events, notifications and tests name them.
CHAMPION, GATE, REGISTER = "ChampionMetric", "ChampionChallengerGate", "RegisterModel"
# The model quality baseline's steps (in the gate's branch): the challenger as a model, the test split scored.
CHALLENGER_MODEL, SCORE_TEST = "ChallengerModel", "ScoreTestSplit"


@dataclass(frozen=True)
class BuildGate:
    """What the gate's steps are rendered from.

    :param jobs: the build's job steps (the role, key and per-execution outputs the gate's steps share).
    :param group_arn: the model package group the challenger is registered in (and the champion read from).
    :param lookup_arn: the `RegistryLookup` function the champion step calls.
    :param inference_image: the registered model's image.
    :param monitor_image: the Model Monitor analyzer the QualityCheck steps run.
    :param baseline_uri: where the data quality baseline is written, or None (no such step).
    :param model_quality: the model quality baseline's settings, or None (no such steps).
    """

    jobs: BuildJobs
    pipeline_name: str
    group_arn: str
    lookup_arn: str
    objective: Objective
    inference_image: str
    monitor_image: str
    baseline_uri: str | None
    model_quality: ModelQualityBaseline | None

    def steps(self, model_data: Value) -> tuple[Step, Step]:
        """The champion lookup (after the evaluation) and the gate registering `model_data` when it wins."""
        champion = lookup_step(
            CHAMPION,
            function_arn=self.lookup_arn,
            model_package_group_arn=self.group_arn,
            mode="champion",
            depends_on=(EVALUATE,),
        )
        return champion, self._gate_step(model_data)

    def _gate_step(self, model_data: Value) -> Step:
        """Register (after the baselines, if any) only a first model or one better than the champion."""
        challenger = JsonGet(EVALUATE, EVALUATION_REPORT, self.objective.json_path)
        champion = step_output(CHAMPION, "champion_metric")
        better: ComparisonType = "GreaterThan" if self.objective.type == "Maximize" else "LessThan"
        baseline_steps = self._baseline_steps(model_data)
        return Step(
            name=GATE,
            type="Condition",
            conditions=(
                AnyOf(
                    (
                        Comparison("Equals", step_output(CHAMPION, "has_champion"), False),
                        Comparison(better, challenger, champion),
                    )
                ),
            ),
            if_steps=(*baseline_steps, self._register_step(model_data, challenger)),
        )

    def _register_step(self, model_data: Value, challenger: Value) -> Step:
        jobs = self.jobs
        model_metrics, drift_check = self._model_metrics()
        return Step(
            name=REGISTER,
            type="RegisterModel",
            arguments={
                "ModelPackageGroupName": self.group_arn,
                "ModelPackageDescription": Join((self.pipeline_name, " execution ", EXECUTION_ID)),
                "ModelApprovalStatus": "PendingManualApproval",
                "InferenceSpecification": {
                    "Containers": [{"Image": self.inference_image, "ModelDataUrl": model_data}],
                    "SupportedContentTypes": list(jobs.model_format.content_types),
                    "SupportedResponseMIMETypes": list(jobs.model_format.response_types),
                },
                "ModelMetrics": model_metrics,
                # None (no baselining step) is left out of the request.
                "DriftCheckBaselines": drift_check or None,
                "CustomerMetadataProperties": {
                    "objective_metric": self.objective.metric,
                    "objective_type": self.objective.type,
                    # Std:Join renders the float as a string, as metadata values must be.
                    "objective_value": Join((challenger,)),
                    "pipeline": self.pipeline_name,
                    "pipeline_execution": EXECUTION_ID,
                },
            },
        )

    def _model_metrics(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The registered version's ModelMetrics and DriftCheckBaselines (empty without a baselining step)."""
        evaluation_uri = self.jobs.execution_uri("evaluation")
        model_metrics: dict[str, Any] = {
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": Join((evaluation_uri, "/evaluation.json"))}
            }
        }
        drift_check: dict[str, Any] = {}
        if self.baseline_uri is not None:
            model_metrics["ModelDataQuality"], drift_check["ModelDataQuality"] = check_metrics(DATA_QUALITY_BASELINE)
        if self.model_quality is not None:
            calculated, drift_check["ModelQuality"] = check_metrics(MODEL_QUALITY_BASELINE)
            # The evaluation report stays the statistics (the champion's metric comes from it, as for tuning).
            model_metrics["ModelQuality"]["Constraints"] = calculated["Constraints"]
        return model_metrics, drift_check

    def _baseline_steps(self, model_data: Value) -> tuple[Step, ...]:
        """The QualityCheck steps (and what the model quality one scores), in the gate's branch: only a version
        that is registered replaces the baselines the monitors read."""
        jobs = self.jobs
        job = CheckJob(
            image_uri=self.monitor_image,
            role_arn=jobs.job_role_arn,
            instance_type=parameter("ProcessingInstanceType"),
            volume_size_gb=jobs.processing.volume_size_gb,
            volume_kms_key=jobs.key_arn,
            max_run_seconds=jobs.processing.max_run_seconds,
            model_package_group_arn=self.group_arn,
        )
        steps: list[Step] = []
        if self.baseline_uri is not None:
            steps.append(data_quality_check(job, dataset_uri=split_uri("train"), output_uri=self.baseline_uri))
        if self.model_quality is not None:
            scored = Get(f"Steps.{SCORE_TEST}.TransformOutput.S3OutputPath")
            steps += [
                *self._score_test_steps(model_data),
                model_quality_check(job, dataset_uri=scored, baseline=self.model_quality),
            ]
        return tuple(steps)

    def _score_test_steps(self, model_data: Value) -> tuple[Step, Step]:
        """The challenger as a SageMaker model, and a Transform step writing ``<label>,<prediction>`` per test record
        (CSV, the processing instance type, per execution in the lifecycle bucket)."""
        jobs = self.jobs
        model = Step(
            name=CHALLENGER_MODEL,
            type="Model",
            arguments={
                "ExecutionRoleArn": jobs.job_role_arn,
                "PrimaryContainer": {"Image": self.inference_image, "ModelDataUrl": model_data},
                "EnableNetworkIsolation": True,
            },
        )
        score = Step(
            name=SCORE_TEST,
            type="Transform",
            arguments=transform_request(
                model_name=Get(f"Steps.{CHALLENGER_MODEL}.ModelName"),
                input_uri=split_uri("test"),
                output_uri=jobs.execution_uri("scored-test"),
                records=TransformRecords(),
                instance_type=parameter("ProcessingInstanceType"),
                instance_count=1,
                kms_key=jobs.key_arn,
                data_processing=SCORED_WITH_LABEL,
            ),
        )
        return model, score
