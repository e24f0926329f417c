"""Studio settings: types, personas, Studio Classic images and the profile shard assignment."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from aws_cdk import aws_ec2 as ec2

from sagemaker_platform import regions
from sagemaker_platform.contracts import names

AuthMode = Literal["IAM", "SSO"]
Persona = Literal["data-scientist", "approver"]
PERSONAS: tuple[Persona, ...] = ("data-scientist", "approver")

# Account that publishes the SageMaker Studio images in each region: one table, with its source, in `regions`.
# The image ARN is built with the partition of the deploying stack (arn:aws-cn:..., arn:aws-us-gov:...).
STUDIO_IMAGE_ACCOUNTS: dict[str, str] = regions.STUDIO_IMAGE_ACCOUNTS
SHARED_NOTEBOOKS_PATTERN = "shared/*"
JUPYTER_SERVER_IMAGE = "jupyter-server-3"
KERNEL_GATEWAY_IMAGE = "datascience-1.0"
_IMAGE_NAME = re.compile(names.IMAGE_NAME)


@dataclass(frozen=True)
class ClassicImages:
    """Studio Classic's default images: SageMaker-published image names, resolved per region and partition.

    Default: ``jupyter-server-3`` and ``datascience-1.0`` on ``ml.t3.medium``; e.g.
    ``ClassicImages(kernel_gateway="sagemaker-data-science-310-v1")`` for the Data Science 3.0 image.
    """

    jupyter_server: str = JUPYTER_SERVER_IMAGE
    kernel_gateway: str = KERNEL_GATEWAY_IMAGE
    kernel_gateway_instance_type: str = "ml.t3.medium"


DEFAULT_PROFILE_SHARDS = 16
"""Nested stacks holding the user profiles. Fixed: changing it moves profiles between stacks, which replaces them."""
_MAX_RESOURCES_PER_SHARD = 450  # CloudFormation allows 500; keep room for the shard's own resources.
# The profile cleanup's request carries the old and the new name lists, and the Provider framework's waiter
# state machine takes it as input: Step Functions accepts at most 256 KiB, so each list gets under half.
_MAX_PROFILE_NAMES_BYTES = 120_000

# Studio Classic's JupyterServer and KernelGateway apps talk to each other on these ports (Studio VPC docs).
_CLASSIC_APP_PORTS = ec2.Port.tcp_range(8192, 65535)


@dataclass(frozen=True)
class StudioUser:
    """One user profile of the domain.

    :param name: the profile name (SageMaker's UserProfileName pattern).
    :param sso_user_value: IAM Identity Center user name. Default: `name`. Used only with SSO auth.
    :param own_role: give this profile an execution role of its own. Default: its persona's role.
    :param persona: what the user does: ``"data-scientist"`` (the domain's default role) or ``"approver"``
        (the approver role). Default: ``"data-scientist"``. The construct gives both personas Studio's own
        needs; what each persona may do beyond Studio is granted on `StudioDomain.persona_roles`.
    """

    name: str
    sso_user_value: str | None = None
    own_role: bool = False
    persona: Persona = "data-scientist"


def _construct_suffix(name: str) -> str:
    """A construct id suffix for profile `name` whose logical id cannot collide with another profile's.

    CloudFormation logical ids drop the hyphens, so `jo-ann` and `joann` would both become `Profilejoann`;
    a hyphenated name gets a short hash of itself. Plain names keep the readable `Profile<name>`.
    """
    if "-" not in name:
        return f"-{name}"
    return f"-{name}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"


def profile_shard(name: str, shards: int) -> int:
    """The nested stack that holds profile `name`: a stable hash of the name alone.

    Moving a profile to another nested stack deletes and re-creates it (the user loses their apps and
    spaces), so the assignment must not depend on the other users: adding or removing one user never
    moves another. Counting-based schemes (users[i] -> i // 200) would shift every later user.
    SHA-256 rather than `hash()`, which Python salts per process.
    """
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards
