"""The `network` section: where the platform's Lambda functions run (off by default: outside any VPC)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sagemaker_platform.config.base import Items, StrictModel

AccountRoleName = Literal["tooling", "registry", "dev", "staging", "prod"]


class FunctionSubnetsConfig(StrictModel):
    """An existing VPC for the functions, by id (no lookup): the subnets and the security groups of their network
    interfaces. The platform adds no endpoint there: the subnets must reach every AWS service the functions call
    (interface endpoints or a NAT route), and the groups must allow HTTPS out to them."""

    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Annotated[
        Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]], Field(min_length=1, max_length=5)
    ]


FunctionVpc = Literal["studio", "none"] | FunctionSubnetsConfig
"""`studio`: the Studio domain's own VPC, with the endpoints the functions need added to it; `none`: outside any
VPC; or an existing VPC's subnets and security groups."""


class FunctionsNetworkConfig(StrictModel):
    """`network.functions`: the VPC of every Lambda function the platform creates, per account."""

    vpc: FunctionVpc = "none"
    """Where the functions run in every account (`accounts` overrides it per account role)."""
    accounts: dict[AccountRoleName, FunctionVpc] = Field(default_factory=dict)
    """Multi-account only: per account role, where that account's functions run. The Studio VPC is in the dev
    account, so `studio` is allowed only as `accounts.dev`."""

    def placement(self, account_role: str) -> FunctionVpc:
        """Where the functions of the stacks in `account_role`'s account run."""
        return self.accounts.get(account_role, self.vpc)  # type: ignore[call-overload]


class NetworkConfig(StrictModel):
    """`network`: network placement of what the platform runs. Default: Lambda functions outside any VPC."""

    functions: FunctionsNetworkConfig | None = None
