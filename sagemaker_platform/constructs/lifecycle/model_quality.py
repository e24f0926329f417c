"""`ModelQualityMonitor`: Model Monitor model quality for one endpoint whose ground truth is uploaded.

A `AWS::SageMaker::ModelQualityJobDefinition` merges the endpoint's captured predictions with ground truth
labels (JSON lines keyed by inference id, uploaded under `ground_truth_uri`) and computes the problem type's
metrics, checked against a baseline's ``constraints.json`` when given. The schedule, violation event, alarm
and optional retrain are the data quality monitor's (`EndpointMonitor`).
"""

from __future__ import annotations

from typing import Any, Literal, Unpack

from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from sagemaker_platform.constructs.lifecycle.images import model_monitor_image_uri
from sagemaker_platform.constructs.lifecycle.monitoring import EndpointMonitor, MonitorProps

ProblemType = Literal["BinaryClassification", "MulticlassClassification", "Regression"]
PROBLEM_TYPES: tuple[ProblemType, ...] = ("BinaryClassification", "MulticlassClassification", "Regression")

M = sagemaker.CfnModelQualityJobDefinition


def attribute_problems(
    problem_type: str,
    inference_attribute: str | None,
    probability_attribute: str | None,
    probability_threshold: float | None,
) -> list[tuple[str, object, str]]:
    """(key, value, what is allowed) for each attribute that keeps the Model Monitor container from finding a
    label in a captured response (the rules of CreateModelQualityJobDefinition's EndpointInput), or []."""
    problems: list[tuple[str, object, str]] = []
    if problem_type not in PROBLEM_TYPES:
        problems.append(("problem_type", problem_type, f"one of {', '.join(PROBLEM_TYPES)}"))
    if problem_type == "Regression" and probability_attribute is not None:
        problems.append(("probability_attribute", probability_attribute, "not used for Regression"))
    if probability_threshold is not None and (
        problem_type != "BinaryClassification" or probability_attribute is None or not 0 <= probability_threshold <= 1
    ):
        message = "0 to 1, only for BinaryClassification with probability_attribute"
        problems.append(("probability_threshold", probability_threshold, message))
    if inference_attribute is None:
        if problem_type != "BinaryClassification":
            problems.append(("inference_attribute", None, f"{problem_type} needs it"))
        elif probability_attribute is None or probability_threshold is None:
            message = "BinaryClassification needs it, or probability_attribute with probability_threshold"
            problems.append(("inference_attribute", None, message))
    return problems


class ModelQualityMonitor(EndpointMonitor):
    """Model quality monitoring of one endpoint (data capture on, ground truth uploaded).

    Example::

        # monitor_props: a `MonitorProps`, the props of the `DataQualityMonitor` example
        ModelQualityMonitor(self, "ChurnQuality", **monitor_props,
                            ground_truth_uri=storage.s3_uri("churn", "ground-truth"),
                            problem_type="BinaryClassification",
                            probability_attribute="0", probability_threshold=0.5)

    :param ground_truth_uri: the S3 prefix of the ground truth labels (the job role must read it).
    :param problem_type: BinaryClassification, MulticlassClassification or Regression.
    :param inference_attribute: where the prediction is in a captured response (CSV index or JSON path).
        Needed, except for binary classification with `probability_attribute` and `probability_threshold`.
    :param probability_attribute: where the probability is (classification). Default: none.
    :param probability_threshold: binary classification: probability from which a prediction is positive.
    :param baseline_uri: the prefix of a model quality baseline's ``constraints.json``. Default: none.
    :param props: the `MonitorProps` every monitor takes, as `DataQualityMonitor`'s.
    """

    monitoring_type = "ModelQuality"
    label = "model quality"

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        ground_truth_uri: str,
        problem_type: ProblemType,
        inference_attribute: str | None = None,
        probability_attribute: str | None = None,
        probability_threshold: float | None = None,
        **props: Unpack[MonitorProps],
    ) -> None:
        super().__init__(scope, id)
        problems = self._prepare(**props)
        problems.check(ground_truth_uri.startswith("s3://"), f"ground_truth_uri={ground_truth_uri!r}: an s3:// prefix")
        for key, value, message in attribute_problems(
            problem_type, inference_attribute, probability_attribute, probability_threshold
        ):
            problems.add(f"{key}={value!r}: {message}")
        problems.raise_if_any()
        self.job_definition = self._job_definition(
            ground_truth_uri,
            problem_type,
            self._baseline_uri,
            inference_attribute=inference_attribute,
            probability_attribute=probability_attribute,
            probability_threshold_attribute=probability_threshold,
        )
        self._wire()

    def _job_definition(
        self, ground_truth_uri: str, problem_type: ProblemType, baseline_uri: str | None, **attributes: Any
    ) -> M:
        """The job definition: `attributes` say where the label is in a captured response."""
        return self._define(
            M,
            **self._job_props(M),
            model_quality_app_specification=M.ModelQualityAppSpecificationProperty(
                image_uri=model_monitor_image_uri(self),
                problem_type=problem_type,
                environment={"publish_cloudwatch_metrics": "Enabled"},
            ),
            model_quality_baseline_config=None
            if baseline_uri is None
            else M.ModelQualityBaselineConfigProperty(
                constraints_resource=M.ConstraintsResourceProperty(s3_uri=f"{baseline_uri}/constraints.json")
            ),
            model_quality_job_input=M.ModelQualityJobInputProperty(
                endpoint_input=self._endpoint_input(M, **attributes),
                ground_truth_s3_input=M.MonitoringGroundTruthS3InputProperty(s3_uri=ground_truth_uri),
            ),
            model_quality_job_output_config=self._output_config(
                M, self._storage.s3_uri("monitoring", self.endpoint_name, "model-quality", "reports")
            ),
        )
