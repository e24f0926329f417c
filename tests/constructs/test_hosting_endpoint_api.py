"""The L2 surface of hosting: `IEndpoint`, `EndpointBase`, imports by name/ARN, grants, metrics, re-exports."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

from sagemaker_platform.constructs.hosting import (
    Endpoint,
    EndpointBase,
    EndpointRef,
    EndpointSettings,
    IEndpoint,
    ModelSource,
    VariantSettings,
)
from sagemaker_platform.errors import PropsError
from tests.support import resources_of_type

ENV = cdk.Environment(account="123456789012", region="us-east-1")
ARN = "arn:aws:sagemaker:eu-west-1:210987654321:endpoint/churn-prod"


def _stack() -> cdk.Stack:
    return cdk.Stack(cdk.App(), "Api", env=ENV)


def _statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    (policy,) = resources_of_type(cdk.assertions.Template.from_stack(stack).to_json(), "AWS::IAM::Policy").values()
    return list(policy["Properties"]["PolicyDocument"]["Statement"])


def test_given_an_endpoint_name_when_imported_then_an_iendpoint_base_with_its_arn() -> None:
    stack = _stack()
    imported = Endpoint.from_endpoint_name(stack, "Churn", "Churn-Prod")
    assert isinstance(imported, EndpointBase) and isinstance(imported, IEndpoint)
    assert imported.endpoint_name == "Churn-Prod"
    # SageMaker lower-cases endpoint names in ARNs.
    assert stack.resolve(imported.endpoint_arn)["Fn::Join"][1][-1].endswith(":endpoint/churn-prod")


def test_given_an_endpoint_arn_when_imported_then_its_name_is_the_resource_name() -> None:
    imported = Endpoint.from_endpoint_arn(_stack(), "Churn", ARN)
    assert imported.endpoint_name == "churn-prod"
    assert imported.endpoint_arn == ARN


@pytest.mark.parametrize(
    ("factory", "value", "key"),
    [
        (Endpoint.from_endpoint_name, "churn_prod!", "endpoint_name="),
        (Endpoint.from_endpoint_arn, "arn:aws:s3:::bucket/key", "endpoint_arn="),
    ],
)
def test_given_bad_import_input_then_one_error_naming_the_key(factory: Any, value: str, key: str) -> None:
    with pytest.raises(PropsError) as error:
        factory(_stack(), "Bad", value)
    (problem,) = error.value.problems
    assert problem.startswith(key) and value in problem


def test_given_an_imported_endpoint_when_granted_then_invoke_actions_on_its_arn_only() -> None:
    stack = _stack()
    imported = Endpoint.from_endpoint_arn(stack, "Churn", ARN)
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    grant = imported.grant_invoke(role)
    imported.grant_invoke_async(role)
    assert isinstance(grant, iam.Grant) and grant.success
    assert _statements(stack) == [
        {
            "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
            "Effect": "Allow",
            "Resource": ARN,
        },
        {"Action": "sagemaker:InvokeEndpointAsync", "Effect": "Allow", "Resource": ARN},
    ]


def test_given_the_deprecated_endpoint_ref_when_granted_then_the_same_invoke_statements() -> None:
    stack = _stack()
    role = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    ref = EndpointRef(endpoint_name="churn-prod", endpoint_arn=ARN)
    assert ref.grant_invoke(role).success and ref.grant_invoke_async(role).success
    assert _statements(stack) == [
        {
            "Action": ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"],
            "Effect": "Allow",
            "Resource": ARN,
        },
        {"Action": "sagemaker:InvokeEndpointAsync", "Effect": "Allow", "Resource": ARN},
    ]


def test_given_an_imported_endpoint_then_metrics_use_sagemaker_names_and_dimensions() -> None:
    imported = Endpoint.from_endpoint_arn(_stack(), "Churn", ARN, variant_name="Blue")
    latency = imported.metric_model_latency()
    assert (latency.namespace, latency.metric_name, latency.statistic) == ("AWS/SageMaker", "ModelLatency", "p99")
    assert latency.dimensions == {"EndpointName": "churn-prod", "VariantName": "Blue"}
    invocations = imported.metric_invocations()
    assert (invocations.metric_name, invocations.statistic) == ("Invocations", "Sum")
    # Async backlog metrics are endpoint-level: no VariantName.
    assert isinstance(imported, EndpointBase)
    backlog = imported.metric_backlog_size_per_instance()
    assert backlog.metric_name == "ApproximateBacklogSizePerInstance"
    assert backlog.dimensions == {"EndpointName": "churn-prod"}
    gpu = imported.metric_gpu_utilization()
    assert gpu.namespace == "/aws/sagemaker/Endpoints"


def test_given_a_created_endpoint_then_it_is_an_iendpoint_whose_metrics_default_to_its_first_variant() -> None:
    stack = _stack()
    endpoint = Endpoint(
        stack,
        "Churn",
        endpoint_name="churn",
        model=ModelSource.from_model_package_group("churn"),
        settings=EndpointSettings(variants=(VariantSettings(name="Green", instance_type="ml.g5.xlarge"),)),
    )
    assert isinstance(endpoint, IEndpoint) and isinstance(endpoint, EndpointBase)
    assert endpoint.metric_invocations().dimensions == {"EndpointName": "churn", "VariantName": "Green"}


def test_registry_artifacts_has_one_canonical_home_and_old_paths_re_export_it() -> None:
    from sagemaker_platform.constructs import hosting, hosting_catalog
    from sagemaker_platform.constructs.hosting import models

    assert models.RegistryArtifacts.__module__ == "sagemaker_platform.constructs.hosting.models"
    assert hosting.RegistryArtifacts is models.RegistryArtifacts is hosting_catalog.RegistryArtifacts
