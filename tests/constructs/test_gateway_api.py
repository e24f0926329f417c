"""InferenceGateway's L2 surface: grant_invoke_api, the API and ensemble metrics, typed props, the package layout."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from sagemaker_platform.constructs import gateway as gateway_package
from sagemaker_platform.constructs.gateway import GatewayProps, GatewayService, InferenceGateway
from sagemaker_platform.errors import PropsError
from tests.constructs.test_gateway import INNER, SERVICES


@pytest.fixture(scope="module")
def gateway() -> InferenceGateway:
    stack = cdk.Stack(cdk.App(), "Gw")
    return InferenceGateway(stack, "Gateway", platform_name="mlplatform", services=SERVICES, ensembles=[INNER])


def _statements(role: iam.Role) -> list[dict[str, Any]]:
    policy = role.node.try_find_child("DefaultPolicy")
    assert policy is not None
    rendered = cdk.Stack.of(role).resolve(policy.document)  # type: ignore[attr-defined]
    return list(rendered["Statement"])


def test_given_grant_invoke_api_then_the_grantee_may_call_both_routes_and_nothing_else(
    gateway: InferenceGateway,
) -> None:
    role = iam.Role(gateway, "Caller", assumed_by=iam.AccountRootPrincipal())
    grant = gateway.grant_invoke_api(role)
    assert grant.success
    (statement,) = _statements(role)
    assert statement["Action"] == "execute-api:Invoke"
    routes = [str(cdk.Stack.of(role).resolve(r)) for r in statement["Resource"]]
    assert len(routes) == 2 and "/v1/POST/predictions" in routes[0] and "/v1/GET/predictions/*" in routes[1]


def test_given_grant_predict_then_it_grants_what_grant_invoke_api_grants(gateway: InferenceGateway) -> None:
    old, new = (iam.Role(gateway, f"Caller{n}", assumed_by=iam.AccountRootPrincipal()) for n in ("Old", "New"))
    gateway.grant_predict(old)
    gateway.grant_invoke_api(new)
    assert _statements(old) == _statements(new)


def test_given_the_api_metrics_then_they_name_the_api_gateway_metrics(gateway: InferenceGateway) -> None:
    names = {
        m.metric_name: (m.namespace, m.statistic)
        for m in (gateway.metric_api_server_errors(), gateway.metric_api_client_errors(), gateway.metric_api_latency())
    }
    assert names == {
        "5XXError": ("AWS/ApiGateway", "Sum"),
        "4XXError": ("AWS/ApiGateway", "Sum"),
        "Latency": ("AWS/ApiGateway", "p99"),
    }
    assert gateway.metric_api_server_errors().period.to_minutes() == 5


def test_given_an_ensemble_then_its_failed_metric_is_the_state_machine_metric(gateway: InferenceGateway) -> None:
    metric = gateway.metric_ensemble_failed("scoring")
    assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/States", "ExecutionsFailed", "Sum")


def test_given_an_unknown_ensemble_then_metric_ensemble_failed_names_the_known_ones(gateway: InferenceGateway) -> None:
    with pytest.raises(KeyError, match=r"ensemble='nope': allowed \['scoring'\]"):
        gateway.metric_ensemble_failed("nope")


def test_given_gateway_props_out_of_range_then_validate_names_each_prop() -> None:
    props = GatewayProps(services=(), throttling_rate_limit=0, webhook_attempts=11)
    with pytest.raises(PropsError) as raised:
        props.validate()
    message = str(raised.value)
    for name in ("services=[]", "throttling_rate_limit=0", "webhook_attempts=11"):
        assert name in message


def test_given_gateway_props_defaults_then_they_are_the_documented_ones() -> None:
    props = GatewayProps(services=(GatewayService("churn", "e", "async"),))
    props.validate()
    assert (props.throttling_rate_limit, props.throttling_burst_limit, props.max_receive_count) == (50, 100, 5)
    assert (props.input_timeout.to_minutes(), props.step_timeout.to_minutes(), props.retention.to_days()) == (
        15,
        60,
        30,
    )
    assert (props.webhook_attempts, props.reserved_concurrency, props.waf) == (4, 10, True)
    assert props.removal_policy == cdk.RemovalPolicy.RETAIN


def test_given_the_gateway_package_then_every_module_stays_within_400_lines() -> None:
    for module in pkgutil.iter_modules(gateway_package.__path__):
        source = importlib.import_module(f"{gateway_package.__name__}.{module.name}").__file__
        assert source is not None
        with open(source, encoding="utf-8") as handle:
            assert len(handle.readlines()) <= 400, module.name


def test_given_gateway_props_when_built_with_props_then_every_prop_reaches_the_construct() -> None:
    props = GatewayProps(
        services=tuple(SERVICES),
        ensembles=(INNER,),
        throttling_rate_limit=7,
        throttling_burst_limit=9,
        input_timeout=cdk.Duration.minutes(3),
        step_timeout=cdk.Duration.minutes(4),
        retention=cdk.Duration.days(5),
        max_receive_count=6,
        webhook_attempts=2,
        reserved_concurrency=3,
        waf=False,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    built = InferenceGateway.with_props(cdk.Stack(cdk.App(), "Gw"), "Gateway", platform_name="p", props=props)
    assert built.props == props
