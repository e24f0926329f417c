"""SageMaker's resource name rules, written once for config validation, constructs and handlers.

Most SageMaker names (user profiles, model package groups, endpoints, pipelines, tuning jobs, images)
follow one shape: an alphanumeric first character, then alphanumerics separated by hyphens, up to a
per-resource length. The service documents it as ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,N}$``.
"""

from __future__ import annotations

import re


def name_pattern(max_length: int, *, dots: bool = False) -> str:
    """SageMaker's name pattern for names of at most `max_length` characters, as a regex source string.

    :param max_length: the longest name the resource accepts (e.g. 63).
    :param dots: also allow ``.`` after the first character (image names). Default: False.
    """
    if max_length < 1:
        raise ValueError(f"max_length={max_length}: must be at least 1")
    tail = "a-zA-Z0-9." if dots else "a-zA-Z0-9"
    return rf"^[a-zA-Z0-9](-*[{tail}]){{0,{max_length - 1}}}$"


NAME_63 = name_pattern(63)
"""User profiles, model package groups, endpoints, deploy groups: ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$``."""

IMAGE_NAME = name_pattern(63, dots=True)
"""SageMaker image names (``.`` allowed after the first character)."""

TUNING_JOB_NAME = name_pattern(32)
"""HyperParameterTuningJobName: at most 32 characters."""

PIPELINE_NAME = name_pattern(256)
"""SageMaker Pipelines PipelineName: at most 256 characters."""

NAME_63_RE = re.compile(NAME_63)
"""`NAME_63`, compiled."""

TUNING_JOB_NAME_RE = re.compile(TUNING_JOB_NAME)
"""`TUNING_JOB_NAME`, compiled."""

__all__ = [
    "IMAGE_NAME",
    "NAME_63",
    "NAME_63_RE",
    "PIPELINE_NAME",
    "TUNING_JOB_NAME",
    "TUNING_JOB_NAME_RE",
    "name_pattern",
]
