"""The deploy pipeline's Lambda functions: one handler asset, dispatched by `DEPLOY_HANDLER`, each function
with the environment every handler reads plus its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform.constructs.deploy.settings import HANDLER_ASSET
from sagemaker_platform.constructs.function import PlatformFunction


class DeployFunctions:
    """Creates the pipeline's functions in `scope` and remembers them, in creation order, by construct id.

    :param common_env: what every handler reads (the handlers' `settings` and `notify` modules).
    """

    def __init__(self, scope: Construct, *, key: kms.IKey, common_env: Mapping[str, str]) -> None:
        self._scope = scope
        self._key = key
        self._common_env = dict(common_env)
        self.by_id: dict[str, PlatformFunction] = {}

    def add(
        self,
        id: str,
        handler: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        *,
        timeout: cdk.Duration | None = None,
        role_name: str | None = None,
        vpc_subnet_ids: Sequence[str] = (),
        security_group_ids: Sequence[str] = (),
    ) -> PlatformFunction:
        """A function `id` running the handler `handler` of the deploy asset."""
        function = PlatformFunction(
            self._scope,
            id,
            handler_name=HANDLER_ASSET,
            key=self._key,
            description=description,
            timeout=timeout,
            role_name=role_name,
            vpc_subnet_ids=vpc_subnet_ids,
            security_group_ids=security_group_ids,
            environment={"DEPLOY_HANDLER": handler, **self._common_env, **(environment or {})},
        )
        self.by_id[id] = function
        return function
