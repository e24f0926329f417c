"""The endpoint interface (`IEndpoint`), the base class carrying its grants and metrics, and imported endpoints.

Shaped like `aws-sagemaker-alpha`'s `endpoint.ts`: `Endpoint` and endpoints imported by name or ARN
(`Endpoint.from_endpoint_name`, `Endpoint.from_endpoint_arn`) share `EndpointBase`, so a stack grants
and alarms on either the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.hosting.settings import (
    INSTANCE_NAMESPACE,
    INVOCATION_NAMESPACE,
    INVOKE_ACTIONS,
    INVOKE_ASYNC_ACTIONS,
    VariantSettings,
)
from sagemaker_platform.errors import ProblemCollector

# The variant name every `VariantSettings` gets unless it names one: the default of imported endpoints.
DEFAULT_VARIANT_NAME = VariantSettings.name


@runtime_checkable
class IEndpoint(Protocol):
    """A SageMaker endpoint, created here or imported: its name, ARN, invoke grants and metrics."""

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name (what clients pass to InvokeEndpoint)."""
        ...

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN (``arn:<partition>:sagemaker:<region>:<account>:endpoint/<lower-case name>``)."""
        ...

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` call InvokeEndpoint and InvokeEndpointWithResponseStream."""
        ...

    def grant_invoke_async(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` call InvokeEndpointAsync."""
        ...

    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        """A SageMaker metric of this endpoint (namespace AWS/SageMaker, EndpointName and VariantName)."""
        ...

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Invocations, Sum over 5 minutes."""
        ...

    def metric_model_latency(self, **props: Any) -> cloudwatch.Metric:
        """ModelLatency in microseconds, p99 over 5 minutes."""
        ...


class EndpointGrants:
    """The invoke grants on an endpoint's ARN, shared by `EndpointBase` and the deprecated `EndpointRef`."""

    endpoint_arn: str

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` invoke the endpoint (InvokeEndpoint, with response stream)."""
        return grant_on_endpoint(grantee, INVOKE_ACTIONS, self.endpoint_arn)

    def grant_invoke_async(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let `grantee` call InvokeEndpointAsync (S3 input/output grants are the bucket owner's to give)."""
        return grant_on_endpoint(grantee, INVOKE_ASYNC_ACTIONS, self.endpoint_arn)


class EndpointBase(EndpointGrants, Construct):
    """Grants and metrics common to created and imported endpoints (see `IEndpoint`).

    Subclasses set `endpoint_name`, `endpoint_arn` and `default_variant_name` (the VariantName dimension
    of per-variant metrics).
    """

    endpoint_name: str
    endpoint_arn: str
    default_variant_name: str

    def metric(
        self, metric_name: str, *, per_instance: bool = False, variant: str | None = None, **props: Any
    ) -> cloudwatch.Metric:
        """A metric of this endpoint. `per_instance`: the /aws/sagemaker/Endpoints namespace (CPU, GPU).

        Dimensions: EndpointName, plus VariantName unless `variant` is "" (endpoint-level async metrics).
        Default variant: `default_variant_name` (the first variant of an `Endpoint`).
        """
        dims = {"EndpointName": self.endpoint_name}
        variant_name = self.default_variant_name if variant is None else variant
        if variant_name:
            dims["VariantName"] = variant_name
        namespace = INSTANCE_NAMESPACE if per_instance else INVOCATION_NAMESPACE
        return cloudwatch.Metric(metric_name=metric_name, namespace=namespace, dimensions_map=dims, **props)

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Invocations, Sum over 5 minutes."""
        return self.metric("Invocations", statistic="Sum", period=cdk.Duration.minutes(5), **props)

    def metric_model_latency(self, **props: Any) -> cloudwatch.Metric:
        """ModelLatency in microseconds, p99 over 5 minutes."""
        return self.metric("ModelLatency", statistic="p99", period=cdk.Duration.minutes(5), **props)

    def metric_invocation_5xx_errors(self, **props: Any) -> cloudwatch.Metric:
        """Invocation5XXErrors, Sum over 5 minutes."""
        return self.metric("Invocation5XXErrors", statistic="Sum", period=cdk.Duration.minutes(5), **props)

    def metric_invocation_4xx_errors(self, **props: Any) -> cloudwatch.Metric:
        """Invocation4XXErrors, Sum over 5 minutes."""
        return self.metric("Invocation4XXErrors", statistic="Sum", period=cdk.Duration.minutes(5), **props)

    def metric_gpu_utilization(self, **props: Any) -> cloudwatch.Metric:
        """GPUUtilization (percent x GPU count), Average over 5 minutes."""
        return self.metric(
            "GPUUtilization", per_instance=True, statistic="Average", period=cdk.Duration.minutes(5), **props
        )

    def metric_gpu_memory_utilization(self, **props: Any) -> cloudwatch.Metric:
        """GPUMemoryUtilization (percent x GPU count), Average over 5 minutes."""
        return self.metric(
            "GPUMemoryUtilization", per_instance=True, statistic="Average", period=cdk.Duration.minutes(5), **props
        )

    def metric_backlog_size(self, **props: Any) -> cloudwatch.Metric:
        """ApproximateBacklogSize (async queue length), Average over 1 minute."""
        return self.metric(
            "ApproximateBacklogSize", variant="", statistic="Average", period=cdk.Duration.minutes(1), **props
        )

    def metric_backlog_size_per_instance(self, **props: Any) -> cloudwatch.Metric:
        """ApproximateBacklogSizePerInstance (what async target tracking follows), Average over 1 minute."""
        return self.metric(
            "ApproximateBacklogSizePerInstance",
            variant="",
            statistic="Average",
            period=cdk.Duration.minutes(1),
            **props,
        )

    def metric_backlog_age(self, **props: Any) -> cloudwatch.Metric:
        """ApproximateAgeOfOldestRequest in seconds (async), Maximum over 5 minutes."""
        return self.metric(
            "ApproximateAgeOfOldestRequest", variant="", statistic="Maximum", period=cdk.Duration.minutes(5), **props
        )

    def metric_has_backlog_without_capacity(self, **props: Any) -> cloudwatch.Metric:
        """HasBacklogWithoutCapacity (1 when requests wait at zero instances), Average over 1 minute."""
        return self.metric(
            "HasBacklogWithoutCapacity", variant="", statistic="Average", period=cdk.Duration.minutes(1), **props
        )


class ImportedEndpoint(EndpointBase):
    """An endpoint this app did not create (the deploy pipeline's, another stack's), known by name and ARN.

    Made by `Endpoint.from_endpoint_name` / `Endpoint.from_endpoint_arn`; creates no resource.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        endpoint_arn: str,
        variant_name: str = DEFAULT_VARIANT_NAME,
    ) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.endpoint_arn = endpoint_arn
        self.default_variant_name = variant_name


def grant_on_endpoint(grantee: iam.IGrantable, actions: Sequence[str], endpoint_arn: str) -> iam.Grant:
    """Grant `actions` on the endpoint `endpoint_arn` to `grantee` (identity policy)."""
    return iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=[endpoint_arn])


def endpoint_arn_for_name(scope: Construct, endpoint_name: str) -> str:
    """The ARN of endpoint `endpoint_name` in `scope`'s account and region (SageMaker lower-cases it)."""
    return cdk.Stack.of(scope).format_arn(service="sagemaker", resource="endpoint", resource_name=endpoint_name.lower())


def endpoint_name_from_arn(scope: Construct, endpoint_arn: str) -> str:
    """The (lower-case) endpoint name in `endpoint_arn`; a token ARN gives a token name.

    Raises `PropsError` naming `endpoint_arn` when a literal ARN is not an endpoint's.
    """
    if cdk.Token.is_unresolved(endpoint_arn):
        return cdk.Fn.select(1, cdk.Fn.split("/", endpoint_arn))
    components = cdk.Arn.split(endpoint_arn, cdk.ArnFormat.SLASH_RESOURCE_NAME)
    if components.service != "sagemaker" or components.resource != "endpoint" or not components.resource_name:
        problems = ProblemCollector(f"Endpoint import {scope.node.path}")
        problems.add(
            f"endpoint_arn={endpoint_arn!r}: allowed an endpoint ARN "
            "(arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>)"
        )
        problems.raise_if_any()
    return str(components.resource_name)


@dataclass(frozen=True)
class EndpointRef(EndpointGrants):
    """Deprecated: an endpoint known by name, as `Endpoint.from_endpoint_name` returned it before `IEndpoint`.

    Kept importable for code written against the old API; use `Endpoint.from_endpoint_name(scope, id, name)`.
    """

    endpoint_name: str
    endpoint_arn: str
