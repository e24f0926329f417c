"""sagemaker-platform: AWS CDK constructs for a multi-account machine learning platform on Amazon SageMaker."""

from __future__ import annotations

__version__ = "0.1.0"
