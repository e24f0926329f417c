"""The `compliance` section: the cdk-nag gate."""

from __future__ import annotations

from sagemaker_platform.config.base import StrictModel


class ComplianceConfig(StrictModel):
    """`compliance`: optional rule packs of the synth-time gate (cdk-nag's three packs always run)."""

    # AWS Control Tower proactive controls (cfn-guard) as a fourth pack: for organisations that turn them on.
    control_tower: bool = False
