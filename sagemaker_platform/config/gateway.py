"""The `gateway` section: the asynchronous inference gateway over endpoints and ensembles."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, _list_to_tuple, field_problem, matching

GATEWAY_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
GATEWAY_SOURCE_PATTERN = re.compile(r"^(request|[a-z][a-z0-9-]{0,39}(\.[A-Za-z0-9_-]{1,64})?)$")
GATEWAY_FIELD_PATTERN = re.compile(r"^(\$|[A-Za-z0-9_-]{1,64})$")


GatewayName = Annotated[
    str,
    matching(
        GATEWAY_NAME_PATTERN,
        "must start with a lowercase letter; lowercase letters, digits and '-', at most 40 characters",
    ),
]


class GatewayServiceConfig(StrictModel):
    """`gateway.services[]`: one model endpoint served by the gateway (an `endpoints` entry, prod stage)."""

    name: GatewayName
    endpoint: GatewayName
    """Name of the `endpoints` entry; the SageMaker endpoint is `naming.endpoint_name(name, endpoint, "prod")`."""
    kind: Literal["async", "realtime"]
    content_type: Annotated[str, Field(pattern=r"^[\w.+-]+/[\w.+-]+(;.{1,200})?$")] = "application/json"
    """Content type sent to the endpoint when the request names none."""


def _mapping_to_inputs(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple({"field": field, "source": source} for field, source in value.items())
    return _list_to_tuple(value)


class EnsembleInputConfig(StrictModel):
    """One input of an ensemble step: `field` of the step's input document <- `source`."""

    field: Annotated[str, Field(pattern=GATEWAY_FIELD_PATTERN.pattern)]
    source: Annotated[str, Field(pattern=GATEWAY_SOURCE_PATTERN.pattern)]
    """`request`, `<step>` (its whole output) or `<step>.<field>` (one top-level field of its JSON output)."""


class EnsembleStepConfig(StrictModel):
    """One step of an ensemble: a service (or a nested ensemble) and its input mapping."""

    name: GatewayName
    service: GatewayName
    inputs: Annotated[tuple[EnsembleInputConfig, ...], BeforeValidator(_mapping_to_inputs), Field(min_length=1)]
    """Mapping `{field: source}`; `{"$": source}` passes one source through unchanged."""


class EnsembleConfig(StrictModel):
    """`gateway.ensembles[]`: a DAG of services run as one Step Functions state machine."""

    name: GatewayName
    steps: Annotated[Items[EnsembleStepConfig], Field(min_length=1)]
    output: GatewayName | None = None
    """Step whose output is the ensemble's output. Default: the last step."""

    @property
    def output_step(self) -> str:
        """The step whose result is the ensemble's result: `output`, or the last step."""
        return self.output if self.output is not None else self.steps[-1].name


class GatewayThrottlingConfig(StrictModel):
    """API Gateway stage throttling (requests per second, steady and burst)."""

    rate_limit: Annotated[int, Field(ge=1, le=10000)] = 50
    """Steady API requests per second of the stage (1-10000)."""
    burst_limit: Annotated[int, Field(ge=1, le=5000)] = 100
    """Requests the stage admits at once above the steady rate (1-5000)."""


class GatewayConfig(StrictModel):
    """`gateway`: the asynchronous inference gateway (prod account) over endpoints and ensembles."""

    services: Items[GatewayServiceConfig] = ()
    """The single-model services, each over an `endpoints` entry (prod stage)."""
    ensembles: Items[EnsembleConfig] = ()
    """DAGs over the services (and over each other: ensembles nest). Default: none."""
    throttling: GatewayThrottlingConfig = GatewayThrottlingConfig()
    """Stage throttling. Default: 50 requests per second, burst 100."""
    input_timeout_minutes: Annotated[int, Field(ge=1, le=720)] = 15
    """How long a request waits for its input upload before it expires (and its upload URL lapses)."""
    step_timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    """How long an ensemble step waits for its intermediate prediction before the ensemble fails."""
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """How long records (DynamoDB TTL), inputs and outputs (S3 lifecycle) are kept."""
    max_receive_count: Annotated[int, Field(ge=1, le=100)] = 5
    """Deliveries of a queue message before it moves to the dead-letter queue."""
    webhook_attempts: Annotated[int, Field(ge=1, le=10)] = 4
    """Calls of a request's webhook per completion before the notification is recorded as failed."""
    concurrency: Annotated[int, Field(ge=1, le=1000)] = 10
    """Reserved concurrency of each gateway function."""
    waf: bool = True
    """Put an AWS WAF web ACL (rate limit, known bad inputs) in front of the API."""
    removal_policy: Literal["retain", "destroy"] = "retain"
    """What deleting the stack does to the gateway's table, buckets, secret and key: keep them, or delete them."""

    @model_validator(mode="after")
    def _graph(self) -> GatewayConfig:
        from sagemaker_platform.ensembles import graph_problems

        names = [service.name for service in self.services]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise field_problem("services", duplicates, "duplicate service name(s): each name must appear once")
        ensemble_names = [ensemble.name for ensemble in self.ensembles]
        duplicates = sorted({name for name in ensemble_names if ensemble_names.count(name) > 1})
        if duplicates:
            raise field_problem("ensembles", duplicates, "duplicate ensemble name(s): each name must appear once")
        problems = graph_problems(names, [gateway_ensemble_spec(ensemble) for ensemble in self.ensembles])
        if problems:
            raise field_problem("ensembles", ensemble_names, "; ".join(problems))
        if not self.services:
            raise field_problem("services", [], "declare at least one service for the gateway to serve")
        return self

    @property
    def endpoint_names(self) -> frozenset[str]:
        """Names of the `endpoints` entries this gateway uses."""
        return frozenset(service.endpoint for service in self.services)


def gateway_ensemble_spec(ensemble: EnsembleConfig) -> Any:
    """The `ensembles.EnsembleSpec` of a config entry (graph checks and state machine layout)."""
    from sagemaker_platform.ensembles import EnsembleSpec, StepSpec

    return EnsembleSpec(
        name=ensemble.name,
        steps=tuple(
            StepSpec(step.name, step.service, tuple((i.field, i.source) for i in step.inputs))
            for step in ensemble.steps
        ),
        output=ensemble.output_step,
    )


def check_gateway_endpoints(gateway: GatewayConfig, known_endpoints: Collection[str]) -> None:
    """Raise a `field_problem` if a gateway service names an endpoint missing from `known_endpoints`.

    For the `PlatformConfig` validator that has the `endpoints` list (GPU endpoint hosting).
    """
    unknown = sorted(gateway.endpoint_names - set(known_endpoints))
    if unknown:
        raise field_problem(
            "gateway.services",
            unknown,
            f"unknown endpoint(s) {', '.join(unknown)}: each gateway service must name an `endpoints` entry; "
            f"known endpoints: {', '.join(sorted(known_endpoints)) or '(none)'}",
        )
