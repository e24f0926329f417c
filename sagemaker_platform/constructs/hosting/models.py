"""Where a model comes from: model data, registry artifacts and model sources (the canonical home of
`RegistryArtifacts`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from sagemaker_platform.constructs.hosting.images import (
    ContainerImage,
)
from sagemaker_platform.constructs.shared_policies import SharedStatement, add_shared_statements
from sagemaker_platform.constructs.wildcards import add_statement
from sagemaker_platform.errors import PropsError

__all__ = [
    "ModelData",
    "ModelSource",
    "RegistryArtifacts",
]

_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.*)$")


@dataclass(frozen=True)
class ModelData:
    """Model artifacts in S3: a ``.tar.gz`` object, or an uncompressed prefix (faster for large models)."""

    bucket_name: str
    key: str
    """The object key of the archive, or the prefix (ending in "/") of the uncompressed files."""
    compressed: bool
    """True for a ``.tar.gz`` archive (``ModelDataUrl``); False for an uncompressed prefix (``ModelDataSource``)."""
    key_arn: str | None = None
    """KMS key the artifacts are encrypted with (decrypt is granted to the model's role). Default: none."""

    @classmethod
    def from_url(cls, url: str, *, key_arn: str | None = None) -> ModelData:
        """``s3://bucket/path/model.tar.gz`` (an archive) or ``s3://bucket/path/`` (an uncompressed prefix)."""
        match = _S3_URL.match(url)
        if match is None:
            raise PropsError(
                "ModelData", [f"url={url!r}: must be s3://<bucket>/<key>.tar.gz or s3://<bucket>/<prefix>/"]
            )
        key = match.group("key")
        if key.endswith(".tar.gz"):
            return cls(match.group("bucket"), key, compressed=True, key_arn=key_arn)
        if key == "" or key.endswith("/"):
            return cls(match.group("bucket"), key, compressed=False, key_arn=key_arn)
        raise PropsError(
            "ModelData",
            [f"url={url!r}: an archive must end in '.tar.gz' and an uncompressed prefix in '/'"],
        )

    @property
    def url(self) -> str:
        return f"s3://{self.bucket_name}/{self.key}"

    def container_fields(self, *, multi_model: bool = False) -> dict[str, object]:
        """The model-data part of a SageMaker ContainerDefinition (API shape)."""
        if self.compressed or multi_model:
            # A multi-model endpoint loads archives on demand from ModelDataUrl, a prefix.
            return {"ModelDataUrl": self.url}
        return {
            "ModelDataSource": {
                "S3DataSource": {"S3Uri": self.url, "S3DataType": "S3Prefix", "CompressionType": "None"}
            }
        }

    def grant_read(self, grantee: iam.IGrantable, scope: Construct) -> None:
        partition = cdk.Stack.of(scope).partition
        objects = f"arn:{partition}:s3:::{self.bucket_name}/{self.key}{'' if self.compressed else '*'}"
        add_statement(
            grantee,
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[objects]),
            f"an uncompressed model is every object under its one prefix {self.key!r}, read as SageMaker loads it",
        )
        if not self.compressed:
            add_statement(
                grantee,
                iam.PolicyStatement(
                    actions=["s3:ListBucket"],
                    resources=[f"arn:{partition}:s3:::{self.bucket_name}"],
                    conditions={"StringLike": {"s3:prefix": [f"{self.key}*"]}},
                ),
            )
        if self.key_arn is not None:
            add_statement(grantee, iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key_arn]))


_MODEL_PACKAGE_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}(/\d+)?$"
)


@dataclass(frozen=True)
class RegistryArtifacts:
    """The central registry's artifacts bucket and key, which a model package's model data lives in.

    The key is named by ARN (`key_arn`) or, as the platform's registry does, by alias (`key_alias` with the
    key's `key_account` and `key_region`): the grant then holds for the key carrying that alias, through S3.
    `prefix`: the key prefix the models' data is under, e.g. a registry group's ``"churn/"``. Default: none
    (the whole bucket), for a registry whose layout is not known here.
    `key_policy_only`: the aliased key's policy has no account-root statement and names each principal of its
    own account (the platform registry's key), so no identity statement is written for a grantee in that
    account: it could not grant anything there. Default: False.
    """

    bucket_name: str
    key_arn: str | None = None
    key_alias: str | None = None
    key_account: str | None = None
    key_region: str | None = None
    prefix: str | None = None
    key_policy_only: bool = False

    @property
    def objects_pattern(self) -> str:
        """The object keys the grant covers: the prefix's objects, or every object."""
        return f"{self.prefix or ''}*"

    def grant_read(self, grantee: iam.IGrantable, scope: Construct) -> None:
        """Read the objects under `prefix` and decrypt them through S3. A `PlatformRole` gets the statements
        through the policy its stack's roles with the same read share (`SharedPolicies`, ``RegistryArtifacts<n>``:
        the endpoints of one group read the same prefix)."""
        objects, *key = self._read_statements(cdk.Stack.of(scope))
        add_shared_statements(grantee, "RegistryArtifacts", [objects], f"read model artifacts under {self.prefix!r}")
        if key:
            # The key statement is the same for every group: a policy of its own, so the readers of all groups
            # share it.
            add_shared_statements(grantee, "RegistryArtifactsKey", key, "decrypt model artifacts through S3")

    def _read_statements(self, stack: cdk.Stack) -> list[SharedStatement]:
        partition = stack.partition
        statements = [
            SharedStatement(
                iam.PolicyStatement(
                    actions=["s3:GetObject"],
                    resources=[f"arn:{partition}:s3:::{self.bucket_name}/{self.objects_pattern}"],
                ),
                f"registry versions get their artifact keys at registration (run-specific), all under {self.prefix!r}"
                if self.prefix is not None
                else "a registry of unknown layout: the versions' artifact keys are not known at synth",
            )
        ]
        if self.key_arn is not None:
            statements.append(SharedStatement(iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.key_arn])))
        elif self.key_alias is not None:
            region = self.key_region if self.key_region is not None else stack.region
            account = self.key_account if self.key_account is not None else stack.account
            if self.key_policy_only and account == stack.account:
                return statements
            statements.append(
                SharedStatement(
                    iam.PolicyStatement(
                        actions=["kms:Decrypt"],
                        resources=[f"arn:{partition}:kms:{region}:{account}:key/*"],
                        conditions={
                            "StringEquals": {"kms:ViaService": f"s3.{region}.{stack.url_suffix}"},
                            "ForAnyValue:StringEquals": {"kms:ResourceAliases": self.key_alias},
                        },
                    ),
                    f"the registry's key lives in the registry account, its ARN unknown here: Decrypt holds only for "
                    f"the key carrying {self.key_alias} (kms:ResourceAliases), through S3 (kms:ViaService)",
                )
            )
        return statements


@dataclass(frozen=True)
class ModelSource:
    """What a model is made from. Build it with one of the `from_*` class methods."""

    kind: Literal["model-package", "image", "model-package-group"]
    model_package_arn: str | None = None
    model_package_group: str | None = None
    image: ContainerImage | None = None
    model_data: ModelData | None = None
    environment: tuple[tuple[str, str], ...] = ()
    artifacts: RegistryArtifacts | None = None

    @classmethod
    def from_model_package(cls, arn: str, *, artifacts: RegistryArtifacts | None = None) -> ModelSource:
        """A versioned model package, e.g. one approved in the central registry of another account.

        `artifacts`: the registry's artifacts bucket (and key) the package's model data is in, so the
        execution role may read it. Default: none (the model data must be readable otherwise).
        """
        return cls("model-package", model_package_arn=arn, artifacts=artifacts)

    @classmethod
    def from_image(
        cls,
        image: ContainerImage,
        model_data: ModelData | None = None,
        *,
        environment: dict[str, str] | None = None,
    ) -> ModelSource:
        """An image and (optionally) model data in S3; `environment`: container variables (Default: none)."""
        return cls("image", image=image, model_data=model_data, environment=tuple(sorted((environment or {}).items())))

    @classmethod
    def from_model_package_group(cls, group: str, *, artifacts: RegistryArtifacts | None = None) -> ModelSource:
        """Each approved version of `group`, deployed by the deploy pipeline from the published deployment spec."""
        return cls("model-package-group", model_package_group=group, artifacts=artifacts)

    @property
    def deployed_by_pipeline(self) -> bool:
        return self.kind == "model-package-group"

    def problems(self) -> list[str]:
        """Problems with the source itself (what was given, what is allowed)."""
        arn = self.model_package_arn
        unresolved = cdk.Token.is_unresolved(arn)
        if self.kind == "model-package" and not unresolved and not _MODEL_PACKAGE_ARN.match(arn or ""):
            return [
                f"model_package_arn={self.model_package_arn!r}: must be a versioned model package ARN, "
                "arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>"
            ]
        return []

    def container(self, scope: Construct, *, multi_model: bool = False) -> dict[str, object]:
        """The SageMaker ContainerDefinition (API shape) of this source; not for pipeline-deployed sources."""
        if self.kind == "model-package":
            return {"ModelPackageName": self.model_package_arn}
        if self.kind != "image" or self.image is None:
            raise ValueError("a model package group is deployed by the pipeline; it has no container here")
        container: dict[str, object] = {"Image": self.image.image_uri(scope)}
        if self.model_data is not None:
            container.update(self.model_data.container_fields(multi_model=multi_model))
        if multi_model:
            container["Mode"] = "MultiModel"
        if self.environment:
            container["Environment"] = dict(self.environment)
        return container

    def grant_read(self, grantee: iam.IGrantable, scope: Construct) -> None:
        """What the execution role needs to load this model: the image, the data, the package."""
        if self.image is not None:
            self.image.grant_pull(grantee, scope)
        if self.model_data is not None:
            self.model_data.grant_read(grantee, scope)
        if self.artifacts is not None:
            self.artifacts.grant_read(grantee, scope)
        if self.model_package_arn is not None:
            add_statement(
                grantee,
                iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=[self.model_package_arn]),
            )
