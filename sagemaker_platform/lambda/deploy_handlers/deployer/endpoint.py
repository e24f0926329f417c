"""Step handler of the Map over a stage's endpoints: deploy, poll status, smoke test.

`{"action": "deploy" | "status" | "smoke_test", "step": {...}}`. Every action runs as the stage's deploy
role; the state machine waits between status polls, so no invocation sleeps.
"""

from __future__ import annotations

from typing import Any

from deployer import aws
from deployer.errors import (
    AwsCallFailed,
    DeploymentRolledBack,
    DeployTimeout,
    EndpointBusy,
    EndpointFailed,
    EventError,
    PackageNotApproved,
    SmokeTestFailed,
)
from deployer.events import parse_scaling, parse_smoke_test, parse_stage, parse_version_arn, require
from deployer.spec import (
    SCALABLE_DIMENSION,
    Spec,
    alarm_requests,
    endpoint_config_request,
    instance_type_changes,
    kept_count,
    model_request,
    parse_spec,
    policy_requests,
    resource_name,
    scalable_resource_id,
)

BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")
FAILED = ("Failed", "UpdateRollbackFailed")
ACTIONS = ("deploy", "status", "smoke_test")


def handler(event: Any, context: Any) -> dict[str, Any]:
    action = require(event, "action", str, "")
    if action not in ACTIONS:
        raise EventError("action", f"must be one of {', '.join(ACTIONS)}, got {action!r}")
    step = require(event, "step", dict, "")
    stage = parse_stage(step)
    endpoint = require(step, "endpoint", str, "step")
    if action == "deploy":
        arn = require(step, "model_package_arn", str, "step")
        _, version = parse_version_arn(arn, "step.model_package_arn")
        execution_name = require(step, "execution_name", str, "step")
        return deploy(stage, endpoint, arn, version, execution_name)
    deployment = require(step, "deployment", dict, "step")
    endpoint_name = require(deployment, "endpoint_name", str, "step.deployment")
    if action == "status":
        require(deployment, "endpoint_config_name", str, "step.deployment")
        polls = require(deployment, "polls", int, "step.deployment")
        parse_scaling(deployment.get("autoscaling"), "step.deployment.autoscaling")
        return status(stage, deployment, endpoint_name, polls)
    smoke = step.get("smoke_test")
    smoke_test = None if smoke is None else parse_smoke_test(smoke, "step.smoke_test")
    if smoke_test is None:
        return {"skipped": "no smoke test is configured for this model package group"}
    if deployment.get("mode") == "async":
        return {"skipped": "asynchronous endpoints take their input from S3; InService is the check"}
    return run_smoke_test(stage, endpoint_name, smoke_test)


def _clients(stage: str, session: str) -> aws.Clients:
    role_arn = aws.json_setting("DEPLOY_ROLE_ARNS").get(stage)
    if not isinstance(role_arn, str):
        raise EventError("stage", f"no deploy role is configured for stage {stage!r}")
    # The function's role may only assume the pipeline role, which may only assume the stage deploy roles.
    pipeline = aws.assume_role(aws.setting("PIPELINE_ROLE_ARN"), session)
    return aws.Clients(aws.assume_role(role_arn, session, pipeline))


def read_spec(ssm: Any, endpoint: str, stage: str) -> Spec:
    name = aws.setting("SPEC_PARAMETER_TEMPLATE").format(endpoint=endpoint, stage=stage)
    response = aws.call(ssm, "get_parameter", Name=name)
    return parse_spec(response["Parameter"]["Value"])


def deploy(stage: str, endpoint: str, arn: str, version: int, execution_name: str) -> dict[str, Any]:
    """New model + new endpoint config (generated names), then create or update the stable-named endpoint."""
    api = _clients(stage, f"deploy-{execution_name}")
    spec = read_spec(api["ssm"], endpoint, stage)
    name = resource_name(spec.endpoint_name, version, execution_name, stage)
    sagemaker = api["sagemaker"]
    package = aws.call(sagemaker, "describe_model_package", ModelPackageName=arn)
    if package.get("ModelApprovalStatus") != "Approved":
        # Rejected (or reset) between the event and this step: deploy nothing.
        raise PackageNotApproved(f"{arn} is {package.get('ModelApprovalStatus')}, not Approved")
    _create_if_absent(sagemaker, "create_model", model_request(spec, name, arn))
    current = describe_endpoint(sagemaker, spec.endpoint_name)
    result = {
        "endpoint_name": spec.endpoint_name,
        "endpoint_config_name": name,
        "model_name": name,
        "mode": spec.mode,
        "autoscaling": spec.autoscaling,
        "previous_endpoint_config": None if current is None else current.get("EndpointConfigName"),
        "polls": 0,
        "state": "InProgress",
    }
    if current is not None and current.get("EndpointConfigName") == name:
        return result  # a retried step: the update was already made
    if current is not None and current["EndpointStatus"] in BUSY:
        raise EndpointBusy(f"{spec.endpoint_name} is {current['EndpointStatus']}")
    kept: dict[str, int] = {}
    if current is not None and spec.autoscaling is not None:
        kept = _keep_scaled_counts(api, spec, current)
    _create_if_absent(sagemaker, "create_endpoint_config", endpoint_config_request(spec, name, name, kept))
    if current is None:
        aws.call(sagemaker, "create_endpoint", EndpointName=spec.endpoint_name, EndpointConfigName=name)
    elif current["EndpointStatus"] == "Failed":
        # A failed endpoint cannot be updated and serves nothing: delete it; the retried step creates it.
        aws.call(sagemaker, "delete_endpoint", EndpointName=spec.endpoint_name)
        raise EndpointBusy(f"{spec.endpoint_name} was Failed ({current.get('FailureReason')}); deleting it")
    else:
        update: dict[str, Any] = {"EndpointName": spec.endpoint_name, "EndpointConfigName": name}
        if spec.deployment_config is not None:
            update["DeploymentConfig"] = spec.deployment_config
        aws.call(sagemaker, "update_endpoint", **update)
    return result


def _keep_scaled_counts(api: aws.Clients, spec: Spec, current: dict[str, Any]) -> dict[str, int]:
    """Keep the autoscaled variant's current count; deregister it first if its instance type changes."""
    assert spec.autoscaling is not None
    variant = spec.autoscaling["variant"]
    resource_id = scalable_resource_id(spec.endpoint_name, variant)
    targets = aws.call(
        api["application-autoscaling"],
        "describe_scalable_targets",
        ServiceNamespace="sagemaker",
        ResourceIds=[resource_id],
        ScalableDimension=SCALABLE_DIMENSION,
    )["ScalableTargets"]
    if not targets:
        return {}
    running = {v.get("VariantName"): v for v in current.get("ProductionVariants", [])}
    count = running.get(variant, {}).get("DesiredInstanceCount", running.get(variant, {}).get("CurrentInstanceCount"))
    config = aws.call(api["sagemaker"], "describe_endpoint_config", EndpointConfigName=current["EndpointConfigName"])
    if variant in instance_type_changes(spec, config.get("ProductionVariants", [])):
        # SageMaker refuses to change the instance type of a registered scalable target.
        deregister_scaling(api["application-autoscaling"], resource_id)
    return {variant: kept_count(spec, count)}


def deregister_scaling(autoscaling: Any, resource_id: str) -> None:
    policies = aws.call(
        autoscaling,
        "describe_scaling_policies",
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=SCALABLE_DIMENSION,
    )["ScalingPolicies"]
    for policy in policies:
        aws.call(
            autoscaling,
            "delete_scaling_policy",
            PolicyName=policy["PolicyName"],
            ServiceNamespace="sagemaker",
            ResourceId=resource_id,
            ScalableDimension=SCALABLE_DIMENSION,
        )
    aws.call(
        autoscaling,
        "deregister_scalable_target",
        ServiceNamespace="sagemaker",
        ResourceId=resource_id,
        ScalableDimension=SCALABLE_DIMENSION,
    )


def apply_scaling(api: aws.Clients, endpoint_name: str, scaling: dict[str, Any] | None) -> None:
    """Register the variant as a scalable target and put its policies and step alarms (all upserts)."""
    if scaling is None:
        return
    spec = Spec(endpoint_name, "realtime", "", False, None, (), None, None, None, None, scaling)
    autoscaling = api["application-autoscaling"]
    aws.call(
        autoscaling,
        "register_scalable_target",
        ServiceNamespace="sagemaker",
        ResourceId=scalable_resource_id(endpoint_name, scaling["variant"]),
        ScalableDimension=SCALABLE_DIMENSION,
        MinCapacity=int(scaling["min_capacity"]),
        MaxCapacity=int(scaling["max_capacity"]),
    )
    step_policies = {}
    for request in policy_requests(spec):
        response = aws.call(autoscaling, "put_scaling_policy", **request)
        if request["PolicyType"] == "StepScaling":
            step_policies[request["PolicyName"]] = response["PolicyARN"]
    for alarm in alarm_requests(spec, step_policies):
        aws.call(api["cloudwatch"], "put_metric_alarm", **alarm)


def status(stage: str, deployment: dict[str, Any], endpoint_name: str, polls: int) -> dict[str, Any]:
    api = _clients(stage, f"status-{endpoint_name}")
    current = describe_endpoint(api["sagemaker"], endpoint_name)
    if current is None:
        raise EndpointFailed(f"{endpoint_name} no longer exists")
    state = current["EndpointStatus"]
    if state == "InService":
        apply_scaling(api, endpoint_name, deployment.get("autoscaling"))
        if current.get("EndpointConfigName") != deployment["endpoint_config_name"]:
            raise DeploymentRolledBack(
                f"{endpoint_name} is InService on {current.get('EndpointConfigName')}, not "
                f"{deployment['endpoint_config_name']}: the deployment guardrails rolled the update back"
            )
        return deployment | {"state": "InService", "polls": polls}
    if state in FAILED:
        raise EndpointFailed(f"{endpoint_name} is {state}: {current.get('FailureReason', 'no reason given')}")
    if polls + 1 > int(aws.setting("MAX_POLLS")):
        raise DeployTimeout(f"{endpoint_name} is still {state} after {polls} polls")
    return deployment | {"state": "InProgress", "polls": polls + 1}


def describe_endpoint(sagemaker: Any, name: str) -> dict[str, Any] | None:
    try:
        return aws.call(sagemaker, "describe_endpoint", EndpointName=name)
    except AwsCallFailed as exc:
        if exc.code == "ValidationException" and "Could not find" in str(exc):
            return None
        raise


def _create_if_absent(sagemaker: Any, operation: str, request: dict[str, Any]) -> None:
    """Create a model or endpoint config; the same name already there means a retried step made it."""
    try:
        aws.call(sagemaker, operation, **request)
    except AwsCallFailed as exc:
        if not (exc.code == "ValidationException" and "already exist" in str(exc)):
            raise


def run_smoke_test(stage: str, endpoint_name: str, smoke: Any) -> dict[str, Any]:
    api = _clients(stage, f"smoke-{endpoint_name}")
    request: dict[str, Any] = {
        "EndpointName": endpoint_name,
        "Body": smoke.payload.encode(),
        "ContentType": smoke.content_type,
    }
    if smoke.accept is not None:
        request["Accept"] = smoke.accept
    if smoke.target_model is not None:
        request["TargetModel"] = smoke.target_model
    try:
        response = aws.call(api["sagemaker-runtime"], "invoke_endpoint", **request)
    except AwsCallFailed as exc:
        raise SmokeTestFailed(f"{endpoint_name} refused the smoke test request: {exc}") from exc
    body = response["Body"].read().decode("utf-8", "replace")
    if smoke.expect_contains is not None and smoke.expect_contains not in body:
        raise SmokeTestFailed(f"{endpoint_name} answered without {smoke.expect_contains!r}: {body[:200]!r}")
    return {"passed": True, "response_excerpt": body[:200]}
