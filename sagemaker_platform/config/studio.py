"""The `studio` section: the VPC-only Studio domain, its users and images."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sagemaker_platform.config.base import Items, StrictModel, UserProfileName, field_problem
from sagemaker_platform.contracts import names


class StudioVpcConfig(StrictModel):
    """An existing VPC for the Studio domain. Default (when omitted): a new VPC with the endpoints Studio needs."""

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = ()


StudioPersona = Literal["data-scientist", "approver"]
STUDIO_PERSONAS: tuple[StudioPersona, ...] = ("data-scientist", "approver")


class StudioUserConfig(StrictModel):
    """One Studio user profile. A plain string in `studio.users` is the same as `{name: ...}`."""

    name: UserProfileName
    sso_user_value: str | None = None
    """IAM Identity Center user name (required per user when `studio.auth` is SSO; default: `name`)."""
    own_role: bool = False
    """Give this user an execution role of its own instead of its persona's role."""
    persona: StudioPersona = "data-scientist"
    """What the user does on the platform (README, "Studio personas"): `data-scientist` or `approver`
    (a data scientist who may also approve or reject registry versions)."""

    @model_validator(mode="before")
    @classmethod
    def _from_plain_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


SAGEMAKER_IMAGE_NAME_PATTERN = names.IMAGE_NAME


class StudioClassicImagesConfig(StrictModel):
    """`studio.classic_images` as a mapping: which SageMaker-published images Studio Classic apps start with."""

    jupyter_server: Annotated[str, Field(pattern=SAGEMAKER_IMAGE_NAME_PATTERN)] = "jupyter-server-3"
    kernel_gateway: Annotated[str, Field(pattern=SAGEMAKER_IMAGE_NAME_PATTERN)] = "datascience-1.0"
    kernel_gateway_instance_type: Annotated[str, Field(pattern=r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")] = "ml.t3.medium"


def _classic_images(value: Any) -> Any:
    # `true` means the default images, `false` none; a mapping picks the images (one error path, not a union's two).
    if value is True:
        return {}
    if value is False:
        return None
    return value


class StudioConfig(StrictModel):
    """`studio`: the SageMaker Studio domain and its user profiles."""

    auth: Literal["IAM", "SSO"] = "IAM"
    users: Items[StudioUserConfig] = ()
    idle_shutdown_minutes: Annotated[int, Field(ge=60, le=525600)] | None = 60
    notebook_output_sharing: bool = False
    enable_projects: bool = False
    classic_images: Annotated[StudioClassicImagesConfig | None, BeforeValidator(_classic_images)] = None
    """Set Studio Classic's JupyterServer (`jupyter-server-3`) and KernelGateway (`datascience-1.0`) default
    images, resolved per region and partition; a mapping picks other SageMaker images, e.g.
    `{kernel_gateway: sagemaker-data-science-310-v1}`. Default: off, leaving Studio's own default images."""
    removal_policy: Literal["retain", "destroy"] = "retain"
    vpc: StudioVpcConfig | None = None

    @model_validator(mode="after")
    def _unique_users(self) -> StudioConfig:
        seen: set[str] = set()
        for user in self.users:
            if user.name in seen:
                raise field_problem("users", user.name, "duplicate user: each user profile name must appear once")
            seen.add(user.name)
        return self
