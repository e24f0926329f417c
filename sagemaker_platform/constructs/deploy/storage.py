"""The deploy pipeline's stateful resources: its KMS key and the deployments (claims) table.

Both are pinned in tests/stateful_logical_ids.json: their construct ids never change.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform.constructs.common import encrypted_table, rotated_key
from sagemaker_platform.constructs.deploy.settings import GROUP_INDEX


def render_pipeline_key(scope: Construct, platform_name: str, removal_policy: cdk.RemovalPolicy) -> kms.Key:
    """`Key`: a rotated customer managed key for the table, topic, queues, logs and Lambda environment."""
    return rotated_key(scope, f"{platform_name} deploy pipeline: table, topic, queues, logs", removal_policy)


def render_deployments_table(scope: Construct, key: kms.IKey, removal_policy: cdk.RemovalPolicy) -> dynamodb.Table:
    """`Deployments`: one item per (model package, target) claim, and the `by-group` index of versions."""
    table = encrypted_table(
        scope,
        "Deployments",
        key=key,
        partition_key="model_package_arn",
        sort_key="target",
        removal_policy=removal_policy,
        backup="point-in-time recovery (35 days) protects the deployments table; it holds only deployment "
        "bookkeeping that the registry can rebuild",
    )
    table.add_global_secondary_index(
        index_name=GROUP_INDEX,
        partition_key=dynamodb.Attribute(name="model_package_group", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="package_version", type=dynamodb.AttributeType.NUMBER),
    )
    return table
