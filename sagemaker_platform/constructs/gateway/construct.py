"""`InferenceGateway`: the construct that composes the gateway's stores, messaging, functions, API and alarms."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.constructs.gateway import api as api_module
from sagemaker_platform.constructs.gateway import messaging, permissions, storage
from sagemaker_platform.constructs.gateway.alarms import render_alarms
from sagemaker_platform.constructs.gateway.ensembles import render_state_machine
from sagemaker_platform.constructs.gateway.settings import (
    API_STAGE,
    ASYNC_OUTPUT_PREFIX,
    CLIENT_ACTIONS,
    INPUT_PREFIX,
    INVOKE_TIMEOUT_MINUTES,
    OUTPUT_PREFIX,
    GatewayProps,
    GatewayService,
)
from sagemaker_platform.constructs.gateway.waf import render_waf
from sagemaker_platform.ensembles import EnsembleSpec

_FIVE_MINUTES = cdk.Duration.minutes(5)


class InferenceGateway(Construct):
    """The asynchronous inference gateway. See the package docstring for the request path.

    Example::

        gateway = InferenceGateway(self, "Gateway", platform_name="mlplatform",
            services=[GatewayService("churn", "mlplatform-churn-async-prod", "async")],
            ensembles=[EnsembleSpec("triage", (StepSpec("score", "churn", (("$", "request"),)),), "score")])
        gateway.grant_invoke_api(app_team_role)

    The props besides `platform_name`, `key` and `alarm_topic` are those of `GatewayProps`, documented there
    with their defaults (`services`, `ensembles`, throttling, timeouts, retention, `waf`, `removal_policy`...).

    :param platform_name: prefix of the deterministic names (completion topic, output bucket, state machines).
    :param key: the customer managed key of every store. Default: a new key with rotation.
    :param alarm_topic: where the alarms notify. Default: a new KMS-encrypted topic.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        services: Sequence[GatewayService],
        ensembles: Sequence[EnsembleSpec] = (),
        key: kms.Key | None = None,
        throttling_rate_limit: int = 50,
        throttling_burst_limit: int = 100,
        input_timeout: cdk.Duration | None = None,
        step_timeout: cdk.Duration | None = None,
        retention: cdk.Duration | None = None,
        max_receive_count: int = 5,
        webhook_attempts: int = 4,
        reserved_concurrency: int = 10,
        waf: bool = True,
        alarm_topic: sns.ITopic | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, id)
        props = GatewayProps(
            services=tuple(services),
            ensembles=tuple(ensembles),
            throttling_rate_limit=throttling_rate_limit,
            throttling_burst_limit=throttling_burst_limit,
            input_timeout=input_timeout if input_timeout is not None else cdk.Duration.minutes(15),
            step_timeout=step_timeout if step_timeout is not None else cdk.Duration.minutes(60),
            retention=retention if retention is not None else cdk.Duration.days(30),
            max_receive_count=max_receive_count,
            webhook_attempts=webhook_attempts,
            reserved_concurrency=reserved_concurrency,
            waf=waf,
            removal_policy=removal_policy,
        )
        props.validate()
        self.props = props
        self.platform_name = platform_name
        self.services = tuple(services)
        self.ensembles = tuple(ensembles)
        self.key = key if key is not None else storage.render_key(self, platform_name, removal_policy)
        # Async endpoints served by the gateway (another stack) encrypt their outputs with this key by its alias.
        self.key_alias = kms.Alias(
            self, "KeyAlias", alias_name=naming.gateway_key_alias(platform_name), target_key=self.key
        )
        self.alarm_topic = (
            alarm_topic if alarm_topic is not None else messaging.render_alarm_topic(self, self.key, platform_name)
        )
        self._render_stores()
        self._render_messaging()
        self._render_functions()
        self._render_api()
        self.alarms = render_alarms(self)

    @classmethod
    def with_props(
        cls,
        scope: Construct,
        id: str,
        *,
        platform_name: str,
        props: GatewayProps,
        key: kms.Key | None = None,
        alarm_topic: sns.ITopic | None = None,
    ) -> InferenceGateway:
        """An `InferenceGateway` from typed `GatewayProps` (how `GatewayStack` builds it from the config).

        Each field of `GatewayProps` is the constructor's keyword argument of the same name.
        """
        fields = {field.name: getattr(props, field.name) for field in dataclasses.fields(props)}
        return cls(scope, id, platform_name=platform_name, key=key, alarm_topic=alarm_topic, **fields)

    # --- public methods ---------------------------------------------------------------------------

    def grant_invoke_api(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` call the API (SigV4): create predictions and read their status.

        The status route's resource ends in ``/GET/predictions/*`` (prediction ids exist only at run time):
        under the compliance gate, acknowledge that AwsSolutions-IAM5 finding on the grantee.
        """
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=CLIENT_ACTIONS,
            resource_arns=[
                self.api.arn_for_execute_api("POST", "/predictions", API_STAGE),
                self.api.arn_for_execute_api("GET", "/predictions/*", API_STAGE),
            ],
        )

    def grant_predict(self, grantee: iam.IGrantable) -> iam.Grant:
        """The same grant as `grant_invoke_api` (its earlier name, kept for existing callers)."""
        return self.grant_invoke_api(grantee)

    def metric(self, metric_name: str, *, queue: sqs.IQueue, **props: Any) -> cloudwatch.Metric:
        """An AWS/SQS metric of one of the gateway's queues."""
        return cloudwatch.Metric(
            namespace="AWS/SQS", metric_name=metric_name, dimensions_map={"QueueName": queue.queue_name}, **props
        )

    def metric_dead_letters(self, queue: sqs.IQueue) -> cloudwatch.Metric:
        """Messages waiting in a dead-letter queue: Maximum over 5 minutes."""
        return self.metric("ApproximateNumberOfMessagesVisible", queue=queue, statistic="Maximum", period=_FIVE_MINUTES)

    def metric_oldest_upload_age(self) -> cloudwatch.Metric:
        """Age of the oldest unprocessed upload event, seconds: Maximum over 5 minutes."""
        return self.metric(
            "ApproximateAgeOfOldestMessage", queue=self.upload_queue, statistic="Maximum", period=_FIVE_MINUTES
        )

    def metric_api_server_errors(self) -> cloudwatch.Metric:
        """AWS/ApiGateway `5XXError` of the API: Sum over 5 minutes."""
        return self.api.metric_server_error(period=_FIVE_MINUTES, statistic="Sum")

    def metric_api_client_errors(self) -> cloudwatch.Metric:
        """AWS/ApiGateway `4XXError` of the API (invalid requests, denied callers, throttling): Sum over 5 minutes."""
        return self.api.metric_client_error(period=_FIVE_MINUTES, statistic="Sum")

    def metric_api_latency(self) -> cloudwatch.Metric:
        """AWS/ApiGateway `Latency` of the API, milliseconds: p99 over 5 minutes."""
        return self.api.metric_latency(period=_FIVE_MINUTES, statistic="p99")

    def metric_ensemble_failed(self, ensemble: str) -> cloudwatch.Metric:
        """AWS/States `ExecutionsFailed` of an ensemble's state machine: Sum over 5 minutes.

        :raises KeyError: naming the ensembles there are, when `ensemble` is not one of them.
        """
        if ensemble not in self.state_machines:
            raise KeyError(f"ensemble={ensemble!r}: allowed {sorted(self.state_machines)}")
        return self.state_machines[ensemble].metric_failed(period=_FIVE_MINUTES, statistic="Sum")

    @property
    def url(self) -> str:
        """Base URL of the API's `v1` stage."""
        return self.api.url

    # --- private ----------------------------------------------------------------------------------

    def _render_api(self) -> None:
        """The REST API over the API function, and the WAF web ACL in front of it unless `waf=False`."""
        props = self.props
        self.api = api_module.render_api(
            self,
            platform_name=self.platform_name,
            key=self.key,
            function=self.api_function.function,
            target_names=props.target_names,
            rate_limit=props.throttling_rate_limit,
            burst_limit=props.throttling_burst_limit,
        )
        self.web_acl = (
            render_waf(self, api=self.api, key=self.key, platform_name=self.platform_name) if props.waf else None
        )

    def _render_stores(self) -> None:
        props = self.props
        stack = cdk.Stack.of(self)
        self.table = storage.render_table(self, self.key, props.removal_policy)
        self.access_logs_bucket = storage.render_access_logs_bucket(self, props.removal_policy)
        common: dict[str, Any] = {
            "retention": props.retention,
            "key": self.key,
            "access_logs": self.access_logs_bucket,
            "removal_policy": props.removal_policy,
        }
        # Deterministic names: the hosting stack grants its async endpoints' roles on them without exports.
        self.input_bucket = storage.render_data_bucket(
            self,
            "Inputs",
            INPUT_PREFIX,
            name=naming.gateway_input_bucket_name(self.platform_name, stack.account, stack.region),
            object_events=True,
            **common,
        )
        self.output_bucket = storage.render_data_bucket(
            self,
            "Outputs",
            OUTPUT_PREFIX,
            name=naming.gateway_output_bucket_name(self.platform_name, stack.account, stack.region),
            extra_prefixes=(ASYNC_OUTPUT_PREFIX,),
            **common,
        )
        storage.grant_endpoint_roles(
            self, self.platform_name, input_bucket=self.input_bucket, output_bucket=self.output_bucket, key=self.key
        )

    def _render_messaging(self) -> None:
        key, receives = self.key, self.props.max_receive_count
        # Visibility timeout: six times the consuming function's timeout (the SQS event source guidance).
        self.upload_queue, self.upload_dead_letter_queue = messaging.render_queue(
            self,
            "Uploads",
            visibility=cdk.Duration.minutes(6 * INVOKE_TIMEOUT_MINUTES),
            key=key,
            max_receive_count=receives,
        )
        self.completion_queue, self.completion_dead_letter_queue = messaging.render_queue(
            self, "Completions", visibility=cdk.Duration.minutes(12), key=key, max_receive_count=receives
        )
        self.completion_topic = messaging.render_completion_topic(
            self,
            self.platform_name,
            key=key,
            queue=self.completion_queue,
            dead_letter_queue=self.completion_dead_letter_queue,
        )
        messaging.render_upload_rule(
            self,
            input_bucket=self.input_bucket,
            queue=self.upload_queue,
            dead_letter_queue=self.upload_dead_letter_queue,
        )
        self.webhook_secret = messaging.render_webhook_secret(
            self, self.platform_name, key=key, removal_policy=self.props.removal_policy
        )

    def _render_functions(self) -> None:
        props = self.props
        common_env = {
            "TABLE_NAME": self.table.table_name,
            "INPUT_BUCKET": self.input_bucket.bucket_name,
            "OUTPUT_BUCKET": self.output_bucket.bucket_name,
            "INPUT_TIMEOUT_SECONDS": str(int(props.input_timeout.to_seconds())),
            "RETENTION_SECONDS": str(int(props.retention.to_seconds())),
        }
        completions = {**common_env, "COMPLETION_TOPIC_ARN": self.completion_topic.topic_arn}
        self.step_function = permissions.render_function(self, "step", completions)
        self.state_machines = {ensemble.name: self._render_state_machine(ensemble) for ensemble in self.ensembles}
        api_env = {
            **common_env,
            "SERVICE_NAMES": json.dumps(props.target_names),
            "CLIENT_TOPIC_ARN_PREFIX": permissions.client_topic_arn_prefix(self, self.platform_name),
        }
        self.api_function = permissions.render_function(self, "api", api_env)
        invoke_env = {**completions, "SERVICES": json.dumps(self._service_targets(), sort_keys=True)}
        self.invoke_function = permissions.render_function(self, "invoke", invoke_env)
        notify_env = {
            **common_env,
            "WEBHOOK_SECRET_ARN": self.webhook_secret.secret_arn,
            "WEBHOOK_ATTEMPTS": str(props.webhook_attempts),
        }
        self.notify_function = permissions.render_function(self, "notify", notify_env)
        permissions.grant_functions(self)
        self._connect_queues()

    def _render_state_machine(self, ensemble: EnsembleSpec) -> sfn.StateMachine:
        return render_state_machine(
            self,
            ensemble,
            platform_name=self.platform_name,
            step_function=self.step_function.function,
            step_timeout=self.props.step_timeout,
            key=self.key,
        )

    def _connect_queues(self) -> None:
        """The invoke function consumes the upload queue, the notify function the completion queue."""
        for queue, function in (
            (self.upload_queue, self.invoke_function),
            (self.completion_queue, self.notify_function),
        ):
            function.function.add_event_source(
                event_sources.SqsEventSource(
                    queue,
                    batch_size=10,
                    report_batch_item_failures=True,
                    max_batching_window=cdk.Duration.seconds(1),
                    max_concurrency=max(2, self.props.reserved_concurrency),
                )
            )

    def _service_targets(self) -> dict[str, dict[str, str]]:
        """What the invoke function calls per name: an endpoint (async or real-time) or a state machine."""
        targets_by_name = {
            service.name: {"kind": service.kind, "target": service.endpoint_name, "content_type": service.content_type}
            for service in self.services
        }
        for name, machine in self.state_machines.items():
            targets_by_name[name] = {"kind": "ensemble", "target": machine.state_machine_arn}
        return targets_by_name
