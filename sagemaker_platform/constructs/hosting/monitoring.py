"""An `Endpoint`'s alarms (to the shared alarm topic) and its CloudWatch dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from sagemaker_platform.constructs.hosting.settings import alarm_name
from sagemaker_platform.constructs.hosting.shared import create_alarm, errors_5xx_alarm, latency_p99_alarm

if TYPE_CHECKING:
    from sagemaker_platform.constructs.hosting.endpoint import Endpoint


def create_alarms(endpoint: Endpoint) -> dict[str, cloudwatch.Alarm]:
    """p99 latency and 5XX per endpoint, GPU memory on GPU variants, backlog age on async; to the alarm topic."""
    thresholds = endpoint.settings.alarms
    name = endpoint.endpoint_name
    topic = endpoint.shared.alarm_topic
    alarms: dict[str, cloudwatch.Alarm] = {
        "latency_p99": latency_p99_alarm(endpoint, name, endpoint.metric_model_latency(), thresholds, topic),
        "errors_5xx": errors_5xx_alarm(endpoint, name, endpoint.metric_invocation_5xx_errors(), thresholds, topic),
    }
    variant = endpoint.settings.variants[0]
    spec = variant.spec
    if spec is not None and spec.is_gpu:
        alarms["gpu_memory"] = _alarm(
            endpoint,
            "GpuMemoryAlarm",
            alarm_name(name, "gpu_memory"),
            endpoint.metric_gpu_memory_utilization(),
            thresholds.gpu_memory_percent * spec.gpu_count,  # the metric sums the instance's GPUs
            f"GPU memory of {name} above {thresholds.gpu_memory_percent} % per GPU",
        )
    if endpoint.settings.mode == "async":
        age = thresholds.backlog_age_seconds
        if age is None:
            age = 2 * endpoint.settings.async_settings.invocation_timeout_seconds
        alarms["backlog_age"] = _alarm(
            endpoint,
            "BacklogAgeAlarm",
            alarm_name(name, "backlog_age"),
            endpoint.metric_backlog_age(),
            age,
            f"oldest queued request of {name} older than {age} s",
        )
    return alarms


def _alarm(
    endpoint: Endpoint,
    id: str,
    name: str,
    metric: cloudwatch.Metric,
    threshold: float,
    description: str,
    *,
    comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
) -> cloudwatch.Alarm:
    return create_alarm(
        endpoint, id, name, metric, threshold, description, endpoint.shared.alarm_topic, comparison=comparison
    )


def create_dashboard(endpoint: Endpoint) -> cloudwatch.Dashboard:
    """Invocations, errors and latency; GPU use on GPU variants; the backlog of async endpoints."""
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="Invocations and errors",
            left=[
                endpoint.metric_invocations(),
                endpoint.metric_invocation_4xx_errors(),
                endpoint.metric_invocation_5xx_errors(),
            ],
            width=12,
        ),
        cloudwatch.GraphWidget(
            title="Model latency (microseconds)",
            left=[
                endpoint.metric_model_latency(),
                endpoint.metric("ModelLatency", statistic="p50", period=cdk.Duration.minutes(5)),
            ],
            width=12,
        ),
    ]
    spec = endpoint.settings.variants[0].spec
    if spec is not None and spec.is_gpu:
        widgets.append(
            cloudwatch.GraphWidget(
                title=f"GPU ({spec.gpu_count} x {spec.accelerator}; percent x GPU count)",
                left=[endpoint.metric_gpu_utilization(), endpoint.metric_gpu_memory_utilization()],
                width=12,
            )
        )
    if endpoint.settings.mode == "async":
        widgets.append(
            cloudwatch.GraphWidget(
                title="Async backlog",
                left=[endpoint.metric_backlog_size(), endpoint.metric_backlog_size_per_instance()],
                right=[endpoint.metric_backlog_age(), endpoint.metric_has_backlog_without_capacity()],
                width=12,
            )
        )
    return cloudwatch.Dashboard(endpoint, "Dashboard", dashboard_name=endpoint.endpoint_name, widgets=[widgets])
