"""The deployment spec (version 1) that each stage's hosting stack publishes, and what it turns into.

Everything here is pure: the spec is validated into plain data, and the SageMaker requests for a new
model, endpoint config and scaling are computed from it and from what the endpoint looks like now.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from deployer.errors import SpecError
from sagemaker_platform.contracts.deployment_spec import MODES, SCALABLE_DIMENSION, VARIANT_KEYS, VERSION


class Spec(NamedTuple):
    endpoint_name: str
    mode: str
    execution_role_arn: str
    enable_network_isolation: bool
    vpc_config: dict[str, Any] | None
    variants: tuple[dict[str, Any], ...]
    async_inference_config: dict[str, Any] | None
    data_capture_config: dict[str, Any] | None
    kms_key_arn: str | None
    deployment_config: dict[str, Any] | None
    autoscaling: dict[str, Any] | None


def parse_spec(text: Any) -> Spec:
    """Validate the JSON of a deployment spec parameter; `SpecError` names the first bad field."""
    if not isinstance(text, str):
        raise SpecError("(parameter value)", "must be a JSON string")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError("(parameter value)", f"is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise SpecError("(parameter value)", "must be a JSON object")
    if raw.get("version") != VERSION:
        raise SpecError("version", f"must be {VERSION}, got {raw.get('version')!r}")
    mode = _field(raw, "mode", str)
    if mode not in MODES:
        raise SpecError("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    variants = _field(raw, "variants", list)
    if not variants:
        raise SpecError("variants", "must list at least one variant")
    for index, variant in enumerate(variants):
        if not isinstance(variant, dict):
            raise SpecError(f"variants[{index}]", "must be an object")
        _field(variant, "VariantName", str, f"variants[{index}].")
        if mode != "serverless":
            _field(variant, "InstanceType", str, f"variants[{index}].")
            _field(variant, "InitialInstanceCount", int, f"variants[{index}].")
        elif not isinstance(variant.get("ServerlessConfig"), dict):
            raise SpecError(f"variants[{index}].ServerlessConfig", "is required for a serverless endpoint")
    if mode == "async" and not isinstance(raw.get("async_inference_config"), dict):
        raise SpecError("async_inference_config", "is required for an async endpoint")
    autoscaling = _optional(raw, "autoscaling", dict)
    if autoscaling is not None:
        variant = _field(autoscaling, "variant", str, "autoscaling.")
        if variant not in {v["VariantName"] for v in variants}:
            raise SpecError("autoscaling.variant", f"{variant!r} is not one of the spec's variants")
        low = _field(autoscaling, "min_capacity", int, "autoscaling.")
        high = _field(autoscaling, "max_capacity", int, "autoscaling.")
        if not 0 <= low <= high:
            raise SpecError("autoscaling.min_capacity", f"must be between 0 and max_capacity={high}, got {low}")
        for index, policy in enumerate(_field(autoscaling, "policies", list, "autoscaling.")):
            if not isinstance(policy, dict):
                raise SpecError(f"autoscaling.policies[{index}]", "must be an object")
            _field(policy, "PolicyName", str, f"autoscaling.policies[{index}].")
            _field(policy, "PolicyType", str, f"autoscaling.policies[{index}].")
        for index, alarm in enumerate(autoscaling.get("alarms") or []):
            if not isinstance(alarm, dict):
                raise SpecError(f"autoscaling.alarms[{index}]", "must be an object")
            _field(alarm, "AlarmName", str, f"autoscaling.alarms[{index}].")
    return Spec(
        endpoint_name=_field(raw, "endpoint_name", str),
        mode=mode,
        execution_role_arn=_field(raw, "execution_role_arn", str),
        enable_network_isolation=bool(raw.get("enable_network_isolation", False)),
        vpc_config=_optional(raw, "vpc_config", dict),
        variants=tuple(variants),
        async_inference_config=_optional(raw, "async_inference_config", dict),
        data_capture_config=_optional(raw, "data_capture_config", dict),
        kms_key_arn=_optional(raw, "kms_key_arn", str),
        deployment_config=_optional(raw, "deployment_config", dict),
        autoscaling=autoscaling,
    )


def _field(raw: dict[str, Any], key: str, kind: type, prefix: str = "") -> Any:
    value = raw.get(key)
    if value is None:
        raise SpecError(f"{prefix}{key}", "is missing")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SpecError(f"{prefix}{key}", f"must be {kind.__name__}, got {type(value).__name__}")
    return value


def _optional(raw: dict[str, Any], key: str, kind: type) -> Any:
    return None if raw.get(key) is None else _field(raw, key, kind)


def resource_name(endpoint_name: str, version: int, execution_name: str, stage: str) -> str:
    """A generated model / endpoint config name, at most 63 characters, the same on every retry of a step."""
    digest = hashlib.sha256(f"{execution_name}/{stage}".encode()).hexdigest()[:8]
    suffix = f"-v{version}-{digest}"
    return endpoint_name[: 63 - len(suffix)].rstrip("-") + suffix


def model_request(spec: Spec, model_name: str, model_package_arn: str) -> dict[str, Any]:
    """CreateModel from the model package: the container comes from the package, the role from the spec."""
    container: dict[str, Any] = {"ModelPackageName": model_package_arn}
    if spec.mode == "multi-model":
        container["Mode"] = "MultiModel"
    request: dict[str, Any] = {
        "ModelName": model_name,
        "ExecutionRoleArn": spec.execution_role_arn,
        "PrimaryContainer": container,
        "EnableNetworkIsolation": spec.enable_network_isolation,
    }
    if spec.vpc_config is not None:
        request["VpcConfig"] = spec.vpc_config
    return request


def scalable_resource_id(endpoint_name: str, variant: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant}"


def endpoint_config_request(
    spec: Spec, config_name: str, model_name: str, kept_counts: dict[str, int]
) -> dict[str, Any]:
    """CreateEndpointConfig; `kept_counts` overrides InitialInstanceCount of autoscaled variants."""
    variants = []
    for variant in spec.variants:
        rendered = {key: variant[key] for key in VARIANT_KEYS if variant.get(key) is not None}
        rendered["ModelName"] = model_name
        if variant["VariantName"] in kept_counts and "InstanceType" in rendered:
            rendered["InitialInstanceCount"] = kept_counts[variant["VariantName"]]
        variants.append(rendered)
    request: dict[str, Any] = {"EndpointConfigName": config_name, "ProductionVariants": variants}
    if spec.async_inference_config is not None:
        request["AsyncInferenceConfig"] = spec.async_inference_config
    if spec.data_capture_config is not None:
        request["DataCaptureConfig"] = spec.data_capture_config
    if spec.kms_key_arn is not None:
        request["KmsKeyId"] = spec.kms_key_arn
    return request


def kept_count(spec: Spec, current_count: int | None) -> int:
    """The instance count to keep for the autoscaled variant: what it runs now, within the spec's limits.

    An endpoint config needs at least one instance; an async variant scaled to zero starts at one and
    scales back in once the scaling policy is registered again.
    """
    assert spec.autoscaling is not None
    high = int(spec.autoscaling["max_capacity"])
    count = current_count if current_count is not None else int(spec.autoscaling["min_capacity"])
    return max(1, min(count, high))


def instance_type_changes(spec: Spec, current_variants: list[dict[str, Any]]) -> set[str]:
    """Variants whose instance type the new config changes (an autoscaled one must be deregistered first)."""
    current = {variant.get("VariantName"): variant.get("InstanceType") for variant in current_variants}
    return {
        variant["VariantName"]
        for variant in spec.variants
        if variant["VariantName"] in current and current[variant["VariantName"]] != variant.get("InstanceType")
    }


def policy_requests(spec: Spec) -> list[dict[str, Any]]:
    """PutScalingPolicy requests for the spec's autoscaled variant."""
    if spec.autoscaling is None:
        return []
    resource_id = scalable_resource_id(spec.endpoint_name, spec.autoscaling["variant"])
    return [
        {
            **policy,
            "ServiceNamespace": "sagemaker",
            "ResourceId": resource_id,
            "ScalableDimension": SCALABLE_DIMENSION,
        }
        for policy in spec.autoscaling["policies"]
    ]


def alarm_requests(spec: Spec, step_policy_arns: dict[str, str]) -> list[dict[str, Any]]:
    """PutMetricAlarm requests, with the step scaling policy ARNs filled in as the alarm actions.

    An alarm names the step policy it drives in `AlarmActions` by `PolicyName`; with no actions, it
    drives the spec's only step policy.
    """
    if spec.autoscaling is None:
        return []
    alarms = []
    for index, alarm in enumerate(spec.autoscaling.get("alarms") or []):
        named = list(alarm.get("AlarmActions") or [])
        if not named:
            if len(step_policy_arns) != 1:
                raise SpecError(
                    f"autoscaling.alarms[{index}].AlarmActions",
                    f"must name the step scaling policy it drives (one of: {', '.join(sorted(step_policy_arns))})",
                )
            named = list(step_policy_arns)
        actions = [step_policy_arns.get(action, action) for action in named]
        alarms.append({**alarm, "AlarmActions": actions})
    return alarms
