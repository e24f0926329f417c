"""Tuning runs a platform image: the journey of the dev tuning training role pulling its image from the images
(tooling) account, over the synthesized multi-account example, and the same wiring in the env-agnostic sandbox.

Hops: the role's identity policy -> the repository policy of the other account -> the repository's KMS key
(ECR decrypts layers through the grant it holds on the key, so the puller needs no key permission of its own;
the key policy must let that grant exist).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform import naming
from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import PropsError
from sagemaker_platform.stacks.ci import ImagesStack
from sagemaker_platform.stacks.tuning import TuningStack
from tests.registry_helpers import text
from tests.stacks.test_ci_images import (
    DEV,
    PULL,
    REGION,
    TOOLING,
    P,
    repo_arn,
    repositories,
    repository_allows,
    role_arn,
)
from tests.stacks.test_wiring import identity_statements, roles_by_name
from tests.support import resources_of_type
from tests.wiring_helpers import Hop, allows, as_list, refused_somewhere, walk

TUNING_ROLE = naming.tuning_training_role_name(P)


def tuning_role_statements(templates: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    template = templates[f"{P}-tuning"]
    return identity_statements(template, roles_by_name(template)[TUNING_ROLE])


def key_statements(templates: dict[str, dict[str, Any]], repository: dict[str, Any]) -> list[dict[str, Any]]:
    key_id = repository["Properties"]["EncryptionConfiguration"]["KmsKey"]["Fn::GetAtt"][0]
    key = templates[f"{P}-images"]["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key"
    return as_list(key["Properties"]["KeyPolicy"]["Statement"])


def pull_hops(templates: dict[str, dict[str, Any]], repository: str) -> list[Hop]:
    identity = tuning_role_statements(templates)
    repo = repositories(templates)[f"{P}/{repository}"]
    principal = role_arn(DEV, TUNING_ROLE)
    ecr_grant = {"kms:GrantIsForAWSResource": "true", "aws:PrincipalIsAWSService": "false"}
    return [
        *(Hop(f"{TUNING_ROLE}'s identity policy ({a})", allows(identity, a, repo_arn(repository))) for a in PULL),
        Hop(f"{TUNING_ROLE}'s identity policy (registry token)", allows(identity, "ecr:GetAuthorizationToken", "*")),
        *(Hop(f"{P}/{repository}'s repository policy ({a})", repository_allows(repo, principal, a)) for a in PULL),
        Hop(
            f"{P}/{repository}'s key policy (ECR's grant)",
            allows(key_statements(templates, repo), "kms:CreateGrant", "*", ecr_grant),
        ),
    ]


def test_the_dev_tuning_training_role_can_pull_its_platform_image_across_accounts(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    walk(
        "dev tuning training role pulls mlplatform/churn-training", pull_hops(multi_account_templates, "churn-training")
    )


def test_the_tuning_training_role_cannot_pull_a_repository_no_tuning_spec_uses(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    refused = refused_somewhere(pull_hops(multi_account_templates, "churn-serving"))
    assert any("identity policy (ecr:BatchGetImage)" in r for r in refused)
    assert any("repository policy" in r for r in refused)
    # the key's deny on grants not for an AWS resource: a grant is no side door to the images
    repo = repositories(multi_account_templates)[f"{P}/churn-training"]
    assert not allows(
        key_statements(multi_account_templates, repo),
        "kms:CreateGrant",
        "*",
        {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"},
    )


def test_the_request_builder_resolves_platform_images_in_the_images_account(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    functions = resources_of_type(multi_account_templates[f"{P}-tuning"], "AWS::Lambda::Function").values()
    variables = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions]
    (builder,) = [v for v in variables if "PLATFORM_IMAGE_REGISTRY" in v]
    assert text(builder["PLATFORM_IMAGE_REGISTRY"]) == f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/{P}"
    assert builder["PLATFORM_IMAGE_REPOSITORIES"] == "churn-training"


# --- the sandbox: env-agnostic, the launcher on a platform image -------------------------------------------


SANDBOX = {
    "images": {"repositories": [{"name": "trainer", "pullers": ["training"], "pull_accounts": ["dev"]}]},
    "registry": {"model_package_groups": ["churn"]},
    "tuning_launcher": {"image": {"platform_repository": "trainer", "tag": "7"}},
}


@pytest.fixture(scope="module")
def sandbox_templates() -> dict[str, dict[str, Any]]:
    config = parse_config(SANDBOX)
    app = cdk.App()
    ImagesStack(app, "Images", config=config)
    TuningStack(app, "Tuning", config=config)
    add_compliance_gate(app)
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(name).template for name in ("Images", "Tuning")}


def test_given_the_sandbox_then_the_launcher_runs_and_may_pull_its_platform_image(
    sandbox_templates: dict[str, dict[str, Any]],
) -> None:
    tuning = sandbox_templates["Tuning"]
    functions = resources_of_type(tuning, "AWS::Lambda::Function").values()
    (launcher,) = [f for f in functions if "TRAINING_IMAGE" in f["Properties"]["Environment"]["Variables"]]
    image = text(launcher["Properties"]["Environment"]["Variables"]["TRAINING_IMAGE"])
    assert image == "<AWS::AccountId>.dkr.ecr.<AWS::Region>.<AWS::URLSuffix>/mlplatform/trainer:7"
    statements = identity_statements(tuning, roles_by_name(tuning)[TUNING_ROLE])
    arn = "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/mlplatform/trainer"
    assert all(allows(statements, action, arn) for action in PULL)
    (repo,) = resources_of_type(sandbox_templates["Images"], "AWS::ECR::Repository").values()
    (statement,) = repo["Properties"]["RepositoryPolicyText"]["Statement"]
    assert [text(a) for a in as_list(statement["Condition"]["StringEquals"]["aws:PrincipalArn"])] == [
        "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/mlplatform-sagemaker-execution",
        "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/mlplatform-tuning-training",
    ]


def test_given_a_platform_image_the_storage_was_not_given_then_the_construct_refuses_it() -> None:
    import aws_cdk as cdk

    from sagemaker_platform.constructs.tuning import TrainingJobLauncher, TuningStorage
    from sagemaker_platform.contracts.tuning_spec import PlatformImage

    stack = cdk.Stack(cdk.App(), "S")
    storage = TuningStorage(stack, "Storage")
    with pytest.raises(PropsError, match=r"platform_repository: trainer\}: no platform_images given"):
        TrainingJobLauncher(stack, "Launcher", storage=storage, image=PlatformImage("trainer", "7"))
