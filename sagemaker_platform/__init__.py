"""sagemaker-platform: AWS CDK constructs for a multi-account machine learning platform on Amazon SageMaker.

Public names are importable from the package root, e.g.
``from sagemaker_platform import StudioDomain, ModelPackageGroup, Endpoint, InferenceGateway``.
They resolve lazily (PEP 562) on first access, so ``import sagemaker_platform.contracts`` (what the
Lambda handlers and their tests do) imports neither aws_cdk nor any construct.
"""

from __future__ import annotations

from sagemaker_platform._lazy import lazy_exports
from sagemaker_platform.constructs._exports import CONSTRUCTS

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    **CONSTRUCTS,
    # The reference app's building blocks: load a config, build the stacks, gate them. (`platform_app` is
    # not here: the name is taken by its submodule, which an import would put back over the function.)
    "PlatformConfig": "sagemaker_platform.config",
    "parse_config": "sagemaker_platform.config",
    "load_config_file": "sagemaker_platform.config",
    "build_platform": "sagemaker_platform.stacks.platform",
    "add_compliance_gate": "sagemaker_platform.compliance",
    # Errors raised on bad config or props.
    "PlatformError": "sagemaker_platform.errors",
    "ConfigError": "sagemaker_platform.errors",
    "PropsError": "sagemaker_platform.errors",
}

__all__ = sorted(_EXPORTS)

# PEP 562: a public name is imported from its module on first access; dir() lists them all.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
