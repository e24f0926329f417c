"""`GatewayStack`: the inference gateway of the prod account, from the `gateway` config section."""

from __future__ import annotations

import aws_cdk as cdk

from sagemaker_platform import naming
from sagemaker_platform.config import GatewayConfig, PlatformConfig, gateway_ensemble_spec
from sagemaker_platform.constructs.gateway import GatewayProps, GatewayService, InferenceGateway
from sagemaker_platform.stacks.access_logs import shared_access_logs
from sagemaker_platform.stacks.base import CapabilityStack
from sagemaker_platform.stacks.network import place_functions

CAPABILITY = "gateway"
STAGE: naming.Stage = "prod"


class GatewayStack(CapabilityStack):
    """The inference gateway over the prod stage's endpoints (`naming.endpoint_name(..., "prod")`)."""

    capability = CAPABILITY

    def _build(self, config: PlatformConfig) -> None:
        gateway_config = config.gateway
        if gateway_config is None:
            raise ValueError("GatewayStack needs a `gateway` config section")
        place_functions(self, config, "prod", CAPABILITY)
        self.gateway = InferenceGateway.with_props(
            self,
            "Gateway",
            platform_name=config.name,
            props=gateway_props(config.name, gateway_config),
            access_logs=shared_access_logs(self, self.access_logs),
        )
        cdk.CfnOutput(self, "ApiUrl", value=self.gateway.url, description="Base URL of the inference gateway API")
        cdk.CfnOutput(
            self,
            "CompletionTopicArn",
            value=self.gateway.completion_topic.topic_arn,
            description="SuccessTopic and ErrorTopic for the async endpoints the gateway serves",
        )
        cdk.CfnOutput(
            self,
            "OutputBucketName",
            value=self.gateway.output_bucket.bucket_name,
            description="Async endpoints served by the gateway write to s3://<this>/async/",
        )
        cdk.CfnOutput(
            self,
            "WebhookSecretArn",
            value=self.gateway.webhook_secret.secret_arn,
            description="HMAC key that signs webhook calls",
        )


def gateway_props(platform: str, config: GatewayConfig) -> GatewayProps:
    """`InferenceGateway` props from the config section (services reach the prod stage's endpoints)."""
    return GatewayProps(
        services=tuple(
            GatewayService(
                name=service.name,
                endpoint_name=naming.endpoint_name(platform, service.endpoint, STAGE),
                kind=service.kind,
                content_type=service.content_type,
            )
            for service in config.services
        ),
        ensembles=tuple(gateway_ensemble_spec(ensemble) for ensemble in config.ensembles),
        throttling_rate_limit=config.throttling.rate_limit,
        throttling_burst_limit=config.throttling.burst_limit,
        input_timeout=cdk.Duration.minutes(config.input_timeout_minutes),
        step_timeout=cdk.Duration.minutes(config.step_timeout_minutes),
        retention=cdk.Duration.days(config.retention_days),
        max_receive_count=config.max_receive_count,
        webhook_attempts=config.webhook_attempts,
        reserved_concurrency=config.concurrency,
        waf=config.waf,
        removal_policy=cdk.RemovalPolicy.RETAIN if config.removal_policy == "retain" else cdk.RemovalPolicy.DESTROY,
    )
