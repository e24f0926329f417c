"""`ImagesStack` (the `images` section: ECR repositories) and `CiStack` (the `ci` section: OIDC identities).

Both name the roles they let in by deterministic names (`naming`), so neither waits for the stacks that create
those roles: they deploy first, with the tooling account's identities.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from sagemaker_platform import naming
from sagemaker_platform.config import (
    CiGitHubConfig,
    CiGitLabConfig,
    EndpointPlatformImageConfig,
    ImageRepositoryConfig,
    PlatformConfig,
    PlatformImageConfig,
    WorkloadAccountRole,
)
from sagemaker_platform.constructs.ci_identities import (
    GITHUB_AUDIENCE,
    GITHUB_URL,
    CiIdentity,
    CiSubject,
    cdk_lookup_role_arn,
)
from sagemaker_platform.constructs.hosting_catalog import ContainerImage
from sagemaker_platform.constructs.images import PUSH_ACTIONS, ImageRepository, repository_name
from sagemaker_platform.constructs.keys import limit_grants_to_aws_resources
from sagemaker_platform.constructs.tuning.images import PlatformImageRegistry
from sagemaker_platform.contracts.tuning_spec import PlatformImage
from sagemaker_platform.stacks.base import tag_platform

_REMOVAL_POLICIES = {"retain": cdk.RemovalPolicy.RETAIN, "destroy": cdk.RemovalPolicy.DESTROY}
_STAGES: tuple[naming.Stage, ...] = ("staging", "prod")


def ci_role_name(platform: str, provider: str) -> str:
    """The CI role of one provider (`gitlab`, `github`) in the tooling account."""
    return f"{platform}-ci-{provider}"


def _account(config: PlatformConfig, role: str) -> str:
    return cdk.Aws.ACCOUNT_ID if config.accounts is None else str(getattr(config.accounts, role))


def images_account(config: PlatformConfig) -> str:
    """The account holding the platform's repositories (a token in the sandbox)."""
    assert config.images is not None
    return _account(config, config.images.account)


def platform_image(config: PlatformConfig, repository: str, tag: str) -> ContainerImage:
    """An image of an `images.repositories` entry, for an endpoint (pull granted to its role by its stack)."""
    return ContainerImage.from_account_repository(
        repository_name(config.name, repository), tag, account=images_account(config)
    )


def tuning_repositories(config: PlatformConfig) -> tuple[str, ...]:
    """The `images.repositories` the tuning specs and the tuning launcher name (`{platform_repository, tag}`)."""
    names = [spec.image.repository for spec in config.tuning if isinstance(spec.image, PlatformImage)]
    launcher = config.tuning_launcher
    if launcher is not None and isinstance(launcher.image, PlatformImageConfig):
        names.append(launcher.image.platform_repository)
    return tuple(dict.fromkeys(names))


def tuning_image_registry(config: PlatformConfig) -> PlatformImageRegistry | None:
    """What the tuning training role may pull from the platform's repositories, or None when it pulls none."""
    names = tuning_repositories(config)
    if not names:
        return None
    return PlatformImageRegistry(account=images_account(config), prefix=config.name, repositories=names)


def puller_role_arns(config: PlatformConfig, repository: ImageRepositoryConfig, partition: str) -> list[str]:
    """The exact role ARNs a repository lets pull: the endpoint roles of the endpoints that use it, the
    training (`<name>-sagemaker-execution`) and pipeline-step roles in its `pull_accounts`, and the dev
    account's tuning training role when a tuning spec or the launcher uses it."""
    arns: list[str] = []
    accounts: tuple[WorkloadAccountRole, ...] = repository.pull_accounts
    if "endpoints" in repository.pullers:
        for entry in config.endpoints:
            image = entry.image
            if not isinstance(image, EndpointPlatformImageConfig) or image.platform_repository != repository.name:
                continue
            for stage in _STAGES:
                if stage in accounts:
                    name = naming.endpoint_role_name(config.name, entry.name, stage)
                    arns.append(naming.role_arn(partition, _account(config, stage), name))
    for puller, role_name in (
        ("training", naming.sagemaker_execution_role_name(config.name)),
        ("pipeline", naming.pipeline_step_role_name(config.name)),
    ):
        if puller in repository.pullers:
            arns.extend(naming.role_arn(partition, _account(config, account), role_name) for account in accounts)
    # Checked at config time: such a repository has the training puller and the dev account.
    if repository.name in tuning_repositories(config):
        arns.append(naming.role_arn(partition, _account(config, "dev"), naming.tuning_training_role_name(config.name)))
    return list(dict.fromkeys(arns))


def build_pipeline_accounts(config: PlatformConfig) -> list[str]:
    """The accounts holding `lifecycle.build` pipelines (each with a `CiPipelineAccess` role); the sandbox's own."""
    if config.lifecycle is None or config.registry is None or not config.lifecycle.build:
        return []
    if config.accounts is None:
        return [cdk.Aws.ACCOUNT_ID]
    return sorted({_account(config, entry.account) for entry in config.lifecycle.build})


def ci_role_names(config: PlatformConfig) -> list[str]:
    if config.ci is None:
        return []
    return [
        ci_role_name(config.name, provider)
        for provider, section in (("gitlab", config.ci.gitlab), ("github", config.ci.github))
        if section is not None
    ]


class ImagesStack(cdk.Stack):
    """The platform's ECR repositories and their KMS key. Example: ``ImagesStack(app, "Images", config=c)``."""

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"{config.name} container image repositories", **kwargs)
        tag_platform(self, config, "images")
        assert config.images is not None
        images = config.images
        removal_policy = _REMOVAL_POLICIES[images.removal_policy]
        self.key = limit_grants_to_aws_resources(
            kms.Key(
                self,
                "Key",
                description=f"{config.name}: encrypts the platform's container images",
                enable_key_rotation=True,
                removal_policy=removal_policy,
            )
        )
        # CI roles of another account push through the repository policy too; same-account ones need only theirs.
        ci_account = _account(config, "tooling")
        push_arns = (
            [naming.role_arn(self.partition, ci_account, name) for name in ci_role_names(config)]
            if images.account != "tooling"
            else []
        )
        self.repositories: dict[str, ImageRepository] = {}
        for entry in images.repositories:
            self.repositories[entry.name] = ImageRepository(
                self,
                f"Repository-{entry.name}",
                repository_name=repository_name(config.name, entry.name),
                key=self.key,
                pull_role_arns=puller_role_arns(config, entry, self.partition),
                push_role_arns=push_arns,
                organization_id=config.organization_id,
                keep_tagged=entry.keep_tagged,
                untagged_days=entry.untagged_days,
                removal_policy=removal_policy,
            )


class CiStack(cdk.Stack):
    """OIDC providers and roles for GitLab CI/CD and GitHub Actions (tooling account)."""

    def __init__(self, scope: Construct, id: str, *, config: PlatformConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, description=f"{config.name} CI identities (OIDC, no access keys)", **kwargs)
        tag_platform(self, config, "ci")
        ci = config.ci
        assert ci is not None
        self.identities: dict[str, CiIdentity] = {}
        if ci.gitlab is not None:
            self.identities["gitlab"] = self._gitlab(ci.gitlab, config.name)
        if ci.github is not None:
            self.identities["github"] = self._github(ci.github, config.name)
        for identity in self.identities.values():
            self._grant(identity, config)

    def _gitlab(self, gitlab: CiGitLabConfig, platform: str) -> CiIdentity:
        """Trusts the job tokens of the configured projects' branches (`project_path:...:ref:<branch>`)."""
        return CiIdentity(
            self,
            "GitLab",
            url=gitlab.url,
            audience=gitlab.audience if gitlab.audience is not None else gitlab.url,
            subjects=[
                CiSubject.gitlab_branch(project.path, branch)
                for project in gitlab.projects
                for branch in project.branches
            ],
            role_name=ci_role_name(platform, "gitlab"),
            provider=self._existing_provider("GitLabProvider", gitlab.existing_provider_arn),
        )

    def _github(self, github: CiGitHubConfig, platform: str) -> CiIdentity:
        """Trusts the job tokens of the configured repositories' branches and environments."""
        repositories = github.repositories
        return CiIdentity(
            self,
            "GitHub",
            url=GITHUB_URL,
            audience=GITHUB_AUDIENCE,
            subjects=[
                *(CiSubject.github_branch(repo.name, branch) for repo in repositories for branch in repo.branches),
                *(CiSubject.github_environment(repo.name, env) for repo in repositories for env in repo.environments),
            ],
            role_name=ci_role_name(platform, "github"),
            provider=self._existing_provider("GitHubProvider", github.existing_provider_arn),
        )

    def _existing_provider(self, id: str, arn: str | None) -> iam.IOidcProvider | None:
        return None if arn is None else iam.OidcProviderNative.from_oidc_provider_arn(self, id, arn)

    def _grant(self, identity: CiIdentity, config: PlatformConfig) -> None:
        ci = config.ci
        assert ci is not None
        if config.images is not None:
            account = images_account(config)
            arns = [
                f"arn:{self.partition}:ecr:{self.region}:{account}:repository/{repository_name(config.name, r.name)}"
                for r in config.images.repositories
            ]
            iam.Grant.add_to_principal(grantee=identity.role, actions=list(PUSH_ACTIONS), resource_arns=arns)
            identity.role.add_to_principal_policy(
                iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"])
            )
            identity.acknowledge_ecr_token()
        # Build code and build pipelines live in their lifecycle accounts: CI assumes the role there.
        pipeline_roles = [
            naming.role_arn(self.partition, account, naming.ci_pipeline_role_name(config.name))
            for account in build_pipeline_accounts(config)
        ]
        if pipeline_roles:
            identity.grant_assume_roles(pipeline_roles)
        accounts = (
            [cdk.Aws.ACCOUNT_ID] if config.accounts is None else sorted(set(config.accounts.model_dump().values()))
        )
        region = self.region if config.accounts is None else config.region
        identity.grant_assume_roles(
            [cdk_lookup_role_arn(self.partition, account, region, ci.cdk_qualifier) for account in accounts]
        )
