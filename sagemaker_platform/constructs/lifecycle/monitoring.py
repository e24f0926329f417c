"""`DataQualityMonitor`: Model Monitor data quality for one endpoint that captures data; `EndpointMonitor`,
what it shares with `ModelQualityMonitor` (model_quality.py).

- a job definition (`AWS::SageMaker::DataQualityJobDefinition` here) reading the endpoint's captured data
  (against a baseline's constraints and statistics when `baseline_uri` is given, e.g. the one the build
  pipeline's QualityCheck step registers), reports to the lifecycle bucket (KMS);
- the monitoring schedule, applied by a small Step Functions workflow (SDK integrations, no handler code):
  created when the endpoint reaches InService (the deploy pipeline creates endpoints after this stack exists,
  and SageMaker refuses a schedule for an endpoint that does not exist yet; as autoscaling, it is applied once
  the endpoint exists), an existing one updated to this job definition; and updated when CloudFormation
  creates a new job definition (`CloudFormation Resource Status Change`) or an update of the stack rolls back
  (`CloudFormation Stack Status Change`: the definition that stays), if the schedule exists. Every failed call
  but the one it handles is retried; an execution that still fails raises `applier_alarm` on the topic;
- the job definition's name ends with a digest of its properties: every one of them is create-only, so a
  change (a baseline, an instance type) replaces the definition, which CloudFormation refuses under an
  unchanged custom name. The schedule keeps its name (`<endpoint>-<label>`) and is pointed at the new
  definition before CloudFormation deletes the old one;
- a violation (a monitoring job that completed with violations) is an event to the topic, an alarm (the
  rule's TriggeredRules metric), and, with `retrain_pipeline_arn`, a start of that build pipeline.

The schedule applier and its rules are in `monitor_applier`, the grants (capture read, retrain start) in
`monitor_grants`; the constructs they create keep their ids under the monitor.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, ClassVar, TypedDict, TypeVar, Unpack

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns
from constructs import Construct

from sagemaker_platform.constructs.common import alarm_on_any
from sagemaker_platform.constructs.lifecycle.images import model_monitor_image_uri
from sagemaker_platform.constructs.lifecycle.monitor_applier import add_schedule_applier
from sagemaker_platform.constructs.lifecycle.monitor_grants import grant_capture_read, retrain_start_role
from sagemaker_platform.constructs.lifecycle.rules import sagemaker_rule
from sagemaker_platform.constructs.lifecycle.storage import LifecycleStorage
from sagemaker_platform.constructs.targets import StartSageMakerPipeline
from sagemaker_platform.errors import ProblemCollector, check_keywords

PROCESSING_JOB_STATE_CHANGE = "SageMaker Processing Job State Change"
CAPTURE_PATH = "/opt/ml/processing/input/endpoint"
OUTPUT_PATH = "/opt/ml/processing/output"
MAX_NAME_LENGTH = 63
DIGEST_LENGTH = 8

JobDefinition = TypeVar("JobDefinition", bound=cdk.CfnResource)

D = sagemaker.CfnDataQualityJobDefinition


class _RequiredMonitorProps(TypedDict):
    endpoint_name: str
    capture_bucket_name: str
    capture_key_alias: str
    storage: LifecycleStorage
    job_role: iam.IRole
    topic: sns.ITopic


class MonitorProps(_RequiredMonitorProps, total=False):
    """The props every monitor of an endpoint takes, keyword-only (documented on `DataQualityMonitor`); the
    optional ones default to `DEFAULT_SCHEDULE`, `DEFAULT_INSTANCE_TYPE`, `DEFAULT_MAX_RUN_SECONDS`, none."""

    schedule_expression: str
    instance_type: str
    max_run_seconds: int
    baseline_uri: str | None
    retrain_pipeline_arn: str | None


DEFAULT_SCHEDULE = "cron(0 * ? * * *)"
DEFAULT_INSTANCE_TYPE = "ml.m5.large"
DEFAULT_MAX_RUN_SECONDS = 1800


class EndpointMonitor(Construct):
    """What every Model Monitor of an endpoint has: the schedule applied at InService, the violation event,
    alarm and optional retrain, the grant to read captured data, and the job definition props every monitoring
    type names alike. Subclasses create `job_definition` with `_define` between `_prepare` and `_wire`."""

    job_definition: cdk.CfnResource
    """The `AWS::SageMaker::*JobDefinition`, named `job_definition_name`."""
    job_definition_name: str
    """``<schedule_name>-<digest of the definition's properties>`` (at most 63 characters)."""
    schedule_name: str
    """``<endpoint>-<label>`` (at most 63 characters): the schedule the applier creates and updates."""
    applier_alarm: cloudwatch.Alarm
    """The applier failed after its retries (`ExecutionsFailed` >= 1 in 5 minutes): the schedule was not applied;
    notifies the topic. Redrive the failed execution once its cause is fixed."""

    monitoring_type: ClassVar[str]
    """`MonitoringType` of the schedule (DataQuality, ModelQuality)."""
    label: ClassVar[str]
    """In names (``<endpoint>-<label>``) and descriptions."""

    def _prepare(self, **props: Unpack[MonitorProps]) -> ProblemCollector:
        """Keep the shared props, check them and name the job definition and schedule; the subclass adds its
        own problems to the collector returned and raises."""
        check_keywords(type(self).__name__, props, MonitorProps)
        endpoint_name, schedule_expression = props["endpoint_name"], props.get("schedule_expression", DEFAULT_SCHEDULE)
        max_run_seconds = props.get("max_run_seconds", DEFAULT_MAX_RUN_SECONDS)
        baseline_uri = props.get("baseline_uri")
        problems = ProblemCollector(type(self).__name__)
        problems.check(
            1 <= max_run_seconds <= 86400, f"max_run_seconds={max_run_seconds}: 1 to 86400 (and within the schedule)"
        )
        problems.check(
            schedule_expression.startswith("cron("),
            f"schedule_expression={schedule_expression!r}: a cron(...) expression",
        )
        problems.check(
            baseline_uri is None or (baseline_uri.startswith("s3://") and not baseline_uri.endswith("/")),
            f"baseline_uri={baseline_uri!r}: an s3:// prefix without a trailing '/'",
        )
        self.endpoint_name = endpoint_name
        self.schedule_name = f"{endpoint_name}-{self.label.replace(' ', '-')}"[:MAX_NAME_LENGTH]
        self._capture = (props["capture_bucket_name"], props["capture_key_alias"])
        self._storage, self._job_role, self._topic = props["storage"], props["job_role"], props["topic"]
        self._schedule_expression, self._retrain_pipeline_arn = schedule_expression, props.get("retrain_pipeline_arn")
        self._instance_type = props.get("instance_type", DEFAULT_INSTANCE_TYPE)
        self._max_run_seconds, self._baseline_uri = max_run_seconds, baseline_uri
        return problems

    def _define(self, cfn: type[JobDefinition], **props: Any) -> JobDefinition:
        """The `JobDefinition` of type `cfn` with `props`, named ``<schedule name>-<digest of props>``.

        The props are resolved as the template will hold them (tokens as intrinsics), so the name changes
        exactly when the definition does: a deterministic synth keeps it, any create-only change renames it."""
        rendered = json.dumps(cdk.Stack.of(self).resolve(props), sort_keys=True)
        digest = hashlib.sha256(rendered.encode()).hexdigest()[:DIGEST_LENGTH]
        self.job_definition_name = f"{self.schedule_name[: MAX_NAME_LENGTH - DIGEST_LENGTH - 1]}-{digest}"
        return cfn(self, "JobDefinition", job_definition_name=self.job_definition_name, **props)  # type: ignore[call-arg]

    def _job_props(self, cfn: Any) -> dict[str, Any]:
        """The props of `cfn` (a `Cfn*JobDefinition` class) that every monitoring type has under one name."""
        key = self._storage.key.key_arn
        return {
            "job_resources": cfn.MonitoringResourcesProperty(
                cluster_config=cfn.ClusterConfigProperty(
                    instance_count=1, instance_type=self._instance_type, volume_size_in_gb=20, volume_kms_key_id=key
                )
            ),
            "network_config": cfn.NetworkConfigProperty(
                enable_inter_container_traffic_encryption=True, enable_network_isolation=True
            ),
            "role_arn": self._job_role.role_arn,
            "stopping_condition": cfn.StoppingConditionProperty(max_runtime_in_seconds=self._max_run_seconds),
        }

    def _endpoint_input(self, cfn: Any, **attributes: Any) -> Any:
        """`cfn`'s EndpointInputProperty: the captured data of the endpoint (plus the type's `attributes`)."""
        return cfn.EndpointInputProperty(
            endpoint_name=self.endpoint_name,
            local_path=CAPTURE_PATH,
            s3_input_mode="File",
            s3_data_distribution_type="FullyReplicated",
            **attributes,
        )

    def _output_config(self, cfn: Any, reports_uri: str) -> Any:
        """`cfn`'s MonitoringOutputConfigProperty: reports under `reports_uri`, encrypted with the lifecycle key."""
        return cfn.MonitoringOutputConfigProperty(
            kms_key_id=self._storage.key.key_arn,
            monitoring_outputs=[
                cfn.MonitoringOutputProperty(
                    s3_output=cfn.S3OutputProperty(
                        local_path=OUTPUT_PATH, s3_uri=reports_uri, s3_upload_mode="EndOfJob"
                    )
                )
            ],
        )

    def _wire(self) -> None:
        """The schedule applier, the capture grant, the violation rule and alarm (after the job definition)."""
        storage, topic, endpoint = self._storage, self._topic, self.endpoint_name
        self.schedule_arn = cdk.Stack.of(self).format_arn(
            service="sagemaker", resource="monitoring-schedule", resource_name=self.schedule_name
        )
        grant_capture_read(self, self._job_role, *self._capture)
        self.state_machine = add_schedule_applier(self, storage, self._schedule_expression)
        self.violation_rule = sagemaker_rule(
            self,
            "Violations",
            description=f"{endpoint}: a {self.label} monitoring job found violations",
            detail_type=PROCESSING_JOB_STATE_CHANGE,
            detail={
                "MonitoringScheduleArn": [self.schedule_arn],
                "ExitMessage": events.Match.prefix("CompletedWithViolations"),
            },
            targets=[targets.SnsTopic(topic, dead_letter_queue=storage.rule_dead_letter_queue)],
        )
        if self._retrain_pipeline_arn is not None:
            self.violation_rule.add_target(
                StartSageMakerPipeline(
                    self._retrain_pipeline_arn,
                    retrain_start_role(self, self._retrain_pipeline_arn),
                    dead_letter_queue=storage.rule_dead_letter_queue,
                )
            )
        # An execution that failed after its retries left the schedule as it was: say so, to redrive it.
        self.applier_alarm = alarm_on_any(
            self,
            "ApplierFailedAlarm",
            self.state_machine.metric_failed(period=cdk.Duration.minutes(5), statistic="Sum"),
            f"The {self.label} schedule of {endpoint} was not applied (redrive the failed execution of its applier)",
            topic,
        )
        self.alarm = alarm_on_any(
            self,
            "ViolationsAlarm",
            self.metric_violations(),
            f"{self.label.capitalize()} violations on {endpoint} (see the monitoring reports)",
            topic,
        )

    def metric_violations(self, **props: object) -> cloudwatch.Metric:
        """Monitoring runs with violations: the violation rule's TriggeredRules, Sum per hour."""
        return cloudwatch.Metric(
            namespace="AWS/Events",
            metric_name="TriggeredRules",
            dimensions_map={"RuleName": self.violation_rule.rule_name},
            statistic="Sum",
            period=cdk.Duration.hours(1),
            **props,  # type: ignore[arg-type]
        )


class DataQualityMonitor(EndpointMonitor):
    """Data quality monitoring of one endpoint (its data capture must be on).

    Example::

        DataQualityMonitor(self, "ChurnMonitor", endpoint_name="mlplatform-churn-async-prod",
                           capture_bucket_name="mlplatform-prod-ep-555555555555-eu-west-1",
                           capture_key_alias="alias/mlplatform-hosting-prod",
                           storage=storage, job_role=execution_role, topic=topic)

    :param endpoint_name: the SageMaker endpoint (it may not exist yet).
    :param capture_bucket_name: the bucket of its captured data (read under ``data-capture/<endpoint>/``).
    :param capture_key_alias: alias of the key encrypting the captured data (decrypt through S3 only).
    :param storage: where baselines and reports live.
    :param job_role: the monitoring jobs' role.
    :param topic: notified of violations (the event), of the violations alarm and of `applier_alarm`.
    :param schedule_expression: Default: hourly, ``cron(0 * ? * * *)``.
    :param instance_type: Default: ml.m5.large. :param max_run_seconds: Default: 1800 (at most 3600 hourly).
    :param baseline_uri: the prefix of the baseline's ``constraints.json`` and ``statistics.json`` (e.g. where
        `ModelBuildPipeline(baseline_uri=...)` writes them). Default: none (statistics only, no check).
    :param retrain_pipeline_arn: a build pipeline of this account started on each violation. Default: none.
    """

    monitoring_type = "DataQuality"
    label = "data quality"

    def __init__(self, scope: Construct, id: str, **props: Unpack[MonitorProps]) -> None:
        super().__init__(scope, id)
        self._prepare(**props).raise_if_any()
        baseline_uri = self._baseline_uri
        self.job_definition = self._define(
            D,
            **self._job_props(D),
            data_quality_app_specification=D.DataQualityAppSpecificationProperty(
                image_uri=model_monitor_image_uri(self), environment={"publish_cloudwatch_metrics": "Enabled"}
            ),
            data_quality_baseline_config=None
            if baseline_uri is None
            else D.DataQualityBaselineConfigProperty(
                constraints_resource=D.ConstraintsResourceProperty(s3_uri=f"{baseline_uri}/constraints.json"),
                statistics_resource=D.StatisticsResourceProperty(s3_uri=f"{baseline_uri}/statistics.json"),
            ),
            data_quality_job_input=D.DataQualityJobInputProperty(endpoint_input=self._endpoint_input(D)),
            data_quality_job_output_config=self._output_config(
                D, self._storage.s3_uri("monitoring", self.endpoint_name, "reports")
            ),
        )
        self._wire()
