"""Contracts both the constructs (at synth) and the Lambda handlers (at run time) rely on.

Standard library only: `assets.handler_code` copies these modules into every handler asset, next to an
empty ``sagemaker_platform/__init__.py``, so a handler imports them exactly as synth-time code does
(``from sagemaker_platform.contracts import tuning_spec``). Importing this package never imports aws_cdk.
"""
