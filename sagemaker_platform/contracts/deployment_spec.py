"""The endpoint deployment spec: what the hosting stacks publish and the deploy pipeline's deployer reads.

`sagemaker_platform.constructs.hosting.render_deployment_spec` writes it (one SSM parameter per
endpoint and stage); the deployer Lambda (``lambda/deploy_handlers/deployer/spec.py``) parses it and
refuses any other version. A change of shape bumps `VERSION` here, so both sides change together.
"""

from __future__ import annotations

VERSION = 1
"""Schema version the hosting stacks write and the deployer accepts."""

MODES = ("realtime", "async", "multi-model", "serverless")
"""Endpoint modes a spec may name."""

VARIANT_KEYS = (
    "VariantName",
    "InstanceType",
    "InitialInstanceCount",
    "VolumeSizeInGB",
    "ModelDataDownloadTimeoutInSeconds",
    "ContainerStartupHealthCheckTimeoutInSeconds",
    "ServerlessConfig",
)
"""ProductionVariant keys a spec's variants carry over into the endpoint config."""

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
"""Application Auto Scaling dimension of an endpoint variant's instance count."""

__all__ = ["MODES", "SCALABLE_DIMENSION", "VARIANT_KEYS", "VERSION"]
