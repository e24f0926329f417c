"""The AWS WAF web ACL in front of the gateway API: a per-IP rate limit and two AWS managed rule groups."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

# Requests per 5 minutes from one IP address before WAF blocks it.
RATE_LIMIT_PER_IP = 3000


def render_waf(scope: Construct, *, api: apigw.RestApi, key: kms.IKey, platform_name: str) -> wafv2.CfnWebACL:
    """`WebAcl`, associated with the API's stage and logging to `aws-waf-logs-<platform>-gateway`."""
    acl = wafv2.CfnWebACL(
        scope,
        "WebAcl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility("gateway"),
        rules=[
            wafv2.CfnWebACL.RuleProperty(
                name="rate-limit-per-ip",
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=RATE_LIMIT_PER_IP, aggregate_key_type="IP"
                    )
                ),
                visibility_config=_visibility("rate-limit-per-ip"),
            ),
            _managed_rule("AWSManagedRulesKnownBadInputsRuleSet", 1),
            _managed_rule("AWSManagedRulesCommonRuleSet", 2),
        ],
    )
    wafv2.CfnWebACLAssociation(
        scope, "WebAclAssociation", resource_arn=api.deployment_stage.stage_arn, web_acl_arn=acl.attr_arn
    )
    waf_logs = logs.LogGroup(
        scope,
        "WebAclLogs",
        # WAF delivers only to log groups whose name starts with aws-waf-logs-.
        log_group_name=f"aws-waf-logs-{platform_name}-gateway",
        encryption_key=key,
        retention=logs.RetentionDays.ONE_YEAR,
        removal_policy=cdk.RemovalPolicy.RETAIN,
    )
    wafv2.CfnLoggingConfiguration(
        scope, "WebAclLogging", resource_arn=acl.attr_arn, log_destination_configs=[waf_logs.log_group_arn]
    )
    return acl


def _managed_rule(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(vendor_name="AWS", name=name)
        ),
        visibility_config=_visibility(name),
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )
