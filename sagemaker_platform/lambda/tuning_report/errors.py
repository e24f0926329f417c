"""Errors of the write-the-report step. Step Functions matches them by class name.

It raises only the errors every handler shares (`sagemaker_platform.contracts.handler_errors`): a malformed
event raises `InvalidEventError`, a failed AWS call `AwsTransientError` (retried) or `AwsPermanentError`.
"""

from __future__ import annotations

from sagemaker_platform.contracts.handler_errors import InvalidEventError as InvalidEventError
