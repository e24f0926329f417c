"""The gateway's REST API: IAM-authorized routes, request validation, access logs, and the WAF web ACL."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, skip_checkov
from sagemaker_platform.constructs.gateway.schema import request_schema
from sagemaker_platform.constructs.gateway.settings import API_LOGS_ACTIONS, API_STAGE, nag_region_account
from sagemaker_platform.constructs.roles import PlatformRole

_IAM_AUTH = (
    "IAM authorization: callers are services and teams with AWS credentials signing with SigV4; "
    "access is granted per principal with grant_predict, and each caller sees only its own predictions"
)
# The method's Lambda permissions (its stage and the console's test-invoke) are limited by SourceArn to this
# API's own method; the guard rule accepts only a literal or a Ref/GetAtt there, not the Fn::Join CDK writes.
_OWN_API = (
    "apigateway.amazonaws.com may invoke the function only for this API's own method: SourceArn is the "
    "method's execute-api ARN (an Fn::Join, which the Control Tower rule cannot evaluate)"
)
_NO_CACHE = "predictions are per request and never cacheable: a cache would serve stale states"
_LAMBDA_PROXY = "the only backend is a Lambda proxy integration; client certificates authenticate HTTP backends"


def render_api(
    scope: Construct,
    *,
    platform_name: str,
    key: kms.IKey,
    function: lambda_.IFunction,
    target_names: Sequence[str],
    rate_limit: int,
    burst_limit: int,
) -> apigw.RestApi:
    """`POST /predictions` and `GET /predictions/{prediction_id}` on stage `v1`, proxied to `function`."""
    api = _render_rest_api(scope, platform_name, key, rate_limit, burst_limit)
    _render_api_account_role(scope, api)
    api.add_gateway_response(
        "BadRequestBody",
        type=apigw.ResponseType.BAD_REQUEST_BODY,
        templates={
            "application/json": '{"message": "invalid request", "problems": ["$context.error.validationErrorString"]}'
        },
    )
    _add_routes(scope, api, function, target_names)
    _acknowledge_stage(api)
    return api


def _render_rest_api(
    scope: Construct, platform_name: str, key: kms.IKey, rate_limit: int, burst_limit: int
) -> apigw.RestApi:
    access_logs = logs.LogGroup(
        scope,
        "ApiAccessLogs",
        encryption_key=key,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    fields = apigw.AccessLogFormat.json_with_standard_fields(
        caller=True,
        http_method=True,
        ip=True,
        protocol=True,
        request_time=True,
        resource_path=True,
        response_length=True,
        status=True,
        user=True,
    )
    return apigw.RestApi(
        scope,
        "Api",
        rest_api_name=f"{platform_name}-inference-gateway",
        description="Asynchronous predictions over SageMaker endpoints and ensembles (IAM auth)",
        endpoint_types=[apigw.EndpointType.REGIONAL],
        cloud_watch_role=False,
        default_method_options=apigw.MethodOptions(authorization_type=apigw.AuthorizationType.IAM),
        deploy_options=apigw.StageOptions(
            stage_name=API_STAGE,
            throttling_rate_limit=rate_limit,
            throttling_burst_limit=burst_limit,
            access_log_destination=apigw.LogGroupLogDestination(access_logs),
            access_log_format=fields,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            tracing_enabled=True,
            metrics_enabled=True,
        ),
    )


def _add_routes(scope: Construct, api: apigw.RestApi, function: lambda_.IFunction, target_names: Sequence[str]) -> None:
    body_validator = apigw.RequestValidator(
        scope, "BodyValidator", rest_api=api, validate_request_body=True, validate_request_parameters=True
    )
    params_validator = apigw.RequestValidator(
        scope, "ParamsValidator", rest_api=api, validate_request_body=False, validate_request_parameters=True
    )
    model = api.add_model(
        "PredictionRequest",
        content_type="application/json",
        model_name="PredictionRequest",
        schema=request_schema(target_names),
    )
    integration = apigw.LambdaIntegration(function)
    predictions = api.root.add_resource("predictions")
    create = predictions.add_method(
        "POST", integration, request_validator=body_validator, request_models={"application/json": model}
    )
    get_status = predictions.add_resource("{prediction_id}").add_method(
        "GET",
        integration,
        request_validator=params_validator,
        request_parameters={"method.request.path.prediction_id": True},
    )
    for method in (create, get_status):
        acknowledge(
            method,
            {
                "AwsSolutions-COG4": _IAM_AUTH,
                f"{CONTROL_TOWER}lambda_function_public_access_prohibited_check": _OWN_API,
            },
        )


def _acknowledge_stage(api: apigw.RestApi) -> None:
    stage = api.deployment_stage.node.default_child
    acknowledge(
        api.deployment_stage,
        {
            "HIPAA.Security-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
            "NIST.800.53.R5-APIGWCacheEnabledAndEncrypted": _NO_CACHE,
            "HIPAA.Security-APIGWSSLEnabled": _LAMBDA_PROXY,
            "NIST.800.53.R5-APIGWSSLEnabled": _LAMBDA_PROXY,
        },
    )
    assert isinstance(stage, apigw.CfnStage)
    skip_checkov(stage, {"CKV_AWS_120": _NO_CACHE})


def _render_api_account_role(scope: Construct, api: apigw.RestApi) -> None:
    """API Gateway's account-level CloudWatch role (execution logs), without the AWS managed policy."""
    stack = cdk.Stack.of(scope)
    role = PlatformRole(
        scope,
        "ApiLogsRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="API Gateway writes execution and access logs of the inference gateway",
    )
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
    )
    role.add_to_principal_policy(iam.PolicyStatement(actions=API_LOGS_ACTIONS, resources=[log_groups]))
    account = apigw.CfnAccount(scope, "ApiAccount", cloud_watch_role_arn=role.role_arn)
    account.node.add_dependency(role)
    api.deployment_stage.node.add_dependency(account)
    acknowledge(
        role,
        {
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:{nag_region_account(stack)}:log-group:*]": (
                "API Gateway creates its execution log groups (API-Gateway-Execution-Logs_<api id>/<stage>) "
                "itself, and this account-level role serves every API of the account"
            ),
        },
    )
