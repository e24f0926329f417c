"""GPU endpoint hosting (package): real-time, asynchronous (scale to zero), multi-model and serverless endpoints.

Public constructs:

- `Endpoint`: one SageMaker endpoint in any of the four modes, from a `ModelSource`, with its execution
  role, autoscaling, async output (S3 + SNS, KMS), data capture, alarms to an SNS topic and a dashboard.
  For a model package group the deploy pipeline creates the model, endpoint config and endpoint: the
  construct then creates everything else and publishes the deployment spec it would have used.
- `InferenceComponentEndpoint`: several models placed on one GPU endpoint as inference components, with
  managed instance scaling, so real-time GPU endpoints can also scale to zero.

One source of truth: `render_deployment_spec` and the `render_*` functions it is built from are pure
functions over `EndpointSettings`; `Endpoint` builds its CfnEndpointConfig, CfnEndpoint, scalable target,
scaling policies and scaling alarm from those very dictionaries, and publishes the same spec in SSM for
the deploy pipeline (schema version 1). API-shape keys are the service APIs' PascalCase, which are also
CloudFormation's for these resources.

Modules, one concern each: `settings` (dataclasses, constants), `instances`/`images`/`models` (the
catalog), `rendering` (pure `render_*`), `validation`, `base` (`IEndpoint`, `EndpointBase`),
`shared_resources`, `async_output`, `monitoring`, `endpoint`, `components`, `shared` (helpers). Every
name the former `hosting.py` module offered is re-exported here, so existing imports keep working.
"""

from __future__ import annotations

from sagemaker_platform.constructs.hosting.base import (
    EndpointBase,
    EndpointRef,
    IEndpoint,
    ImportedEndpoint,
)
from sagemaker_platform.constructs.hosting.components import (
    InferenceComponentEndpoint,
)
from sagemaker_platform.constructs.hosting.endpoint import (
    Endpoint,
)
from sagemaker_platform.constructs.hosting.images import (
    ContainerImage,
)
from sagemaker_platform.constructs.hosting.instances import (
    InstanceSpec,
    catalog_families,
    declared_instance_problems,
    hosting_defaults,
    instance_spec,
    multi_model_refusal,
)
from sagemaker_platform.constructs.hosting.models import (
    ModelData,
    ModelSource,
    RegistryArtifacts,
)
from sagemaker_platform.constructs.hosting.rendering import (
    invocations_per_instance_target,
    render_async_inference_config,
    render_autoscaling,
    render_component_autoscaling,
    render_data_capture_config,
    render_deployment_config,
    render_deployment_spec,
    render_production_variants,
    variant_defaults,
)
from sagemaker_platform.constructs.hosting.settings import (
    INSTANCE_NAMESPACE,
    INVOCATION_NAMESPACE,
    INVOKE_ACTIONS,
    INVOKE_ASYNC_ACTIONS,
    LOG_ACTIONS,
    SCALE_IN_COOLDOWN_SECONDS,
    SCALE_OUT_COOLDOWN_SECONDS,
    SPEC_VERSION,
    VOLUME_KEY_ACTIONS,
    VPC_ACTIONS,
    AlarmKind,
    AlarmThresholds,
    AsyncOutput,
    AsyncSettings,
    DataCaptureSettings,
    DeploymentGuardrails,
    EndpointMode,
    EndpointSettings,
    GatewayRouting,
    InferenceComponent,
    ServerlessSettings,
    VariantSettings,
    VpcPlacement,
    alarm_name,
)
from sagemaker_platform.constructs.hosting.shared import (
    NVME_NO_KEY_REASON,
    acknowledge_no_volume_key,
    content_name,
    create_alarm,
    create_model,
    create_scaling_policies,
    grant_endpoint_runtime,
)
from sagemaker_platform.constructs.hosting.shared_resources import (
    HostingShared,
)
from sagemaker_platform.constructs.hosting.validation import (
    endpoint_problems,
    inference_component_problems,
)

__all__ = [
    "INSTANCE_NAMESPACE",
    "INVOCATION_NAMESPACE",
    "INVOKE_ACTIONS",
    "INVOKE_ASYNC_ACTIONS",
    "LOG_ACTIONS",
    "NVME_NO_KEY_REASON",
    "SCALE_IN_COOLDOWN_SECONDS",
    "SCALE_OUT_COOLDOWN_SECONDS",
    "SPEC_VERSION",
    "VOLUME_KEY_ACTIONS",
    "VPC_ACTIONS",
    "AlarmKind",
    "AlarmThresholds",
    "AsyncOutput",
    "AsyncSettings",
    "ContainerImage",
    "DataCaptureSettings",
    "DeploymentGuardrails",
    "Endpoint",
    "EndpointBase",
    "EndpointMode",
    "EndpointRef",
    "EndpointSettings",
    "GatewayRouting",
    "HostingShared",
    "IEndpoint",
    "ImportedEndpoint",
    "InferenceComponent",
    "InferenceComponentEndpoint",
    "InstanceSpec",
    "ModelData",
    "ModelSource",
    "RegistryArtifacts",
    "ServerlessSettings",
    "VariantSettings",
    "VpcPlacement",
    "acknowledge_no_volume_key",
    "alarm_name",
    "catalog_families",
    "content_name",
    "create_alarm",
    "create_model",
    "create_scaling_policies",
    "declared_instance_problems",
    "endpoint_problems",
    "grant_endpoint_runtime",
    "hosting_defaults",
    "inference_component_problems",
    "instance_spec",
    "invocations_per_instance_target",
    "multi_model_refusal",
    "render_async_inference_config",
    "render_autoscaling",
    "render_component_autoscaling",
    "render_data_capture_config",
    "render_deployment_config",
    "render_deployment_spec",
    "render_production_variants",
    "variant_defaults",
]
