"""Bring your own code: the ECR repositories, the OIDC CI identities, and the pull journey of endpoint roles.

All over the synthesized multi-account example (examples/multi-account.yaml), compliance gate on.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagemaker_platform import naming
from sagemaker_platform.config import EndpointPlatformImageConfig, parse_config
from sagemaker_platform.errors import ConfigError
from tests.registry_helpers import text
from tests.stacks.test_wiring import endpoint_role, identity_statements, roles_by_name
from tests.support import resources_of_type
from tests.wiring_helpers import Context, allows, as_list

P = "mlplatform"
TOOLING, DEV, STAGING, PROD = "111111111111", "333333333333", "444444444444", "555555555555"
ACCOUNT_OF = {"staging": STAGING, "prod": PROD}
REGION = "eu-west-1"
ORG = "o-a1b2c3d4e5"


def repo_arn(name: str) -> str:
    return f"arn:<AWS::Partition>:ecr:{REGION}:{TOOLING}:repository/{P}/{name}"


def role_arn(account: str, name: str) -> str:
    return naming.role_arn("<AWS::Partition>", account, name)


def repositories(templates: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """ECR repositories of the images stack, by repository name."""
    found = resources_of_type(templates[f"{P}-images"], "AWS::ECR::Repository").values()
    return {r["Properties"]["RepositoryName"]: r for r in found}


def repository_allows(repository: dict[str, Any], principal_arn: str, action: str, org: str = ORG) -> bool:
    """The repository policy lets `principal_arn` (of organization `org`) do `action`: the IAM evaluator over the
    statements whose principal covers any AWS principal or names this one."""
    statements = as_list(repository["Properties"].get("RepositoryPolicyText", {}).get("Statement", []))
    covering = [
        s
        for s in statements
        if s["Principal"] in ({"AWS": "*"}, "*") or principal_arn in as_list(s["Principal"].get("AWS"))
    ]
    context: Context = {"aws:PrincipalArn": principal_arn, "aws:PrincipalOrgID": org}
    return allows(covering, action, "*", context) or allows(
        covering, action, f"arn:<AWS::Partition>:ecr:{REGION}:{TOOLING}:repository/*", context
    )


PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")


# --- the pull journey -------------------------------------------------------------------------------------


def platform_image_endpoints(raw: dict[str, Any]) -> list[tuple[str, str]]:
    config = parse_config(raw)
    return [
        (entry.name, entry.image.platform_repository)
        for entry in config.endpoints
        if isinstance(entry.image, EndpointPlatformImageConfig)
    ]


def test_given_the_example_then_at_least_one_endpoint_runs_a_platform_image(multi_account_raw: dict[str, Any]) -> None:
    assert platform_image_endpoints(multi_account_raw) == [("churn-custom", "churn-serving")]


@pytest.mark.parametrize("stage", ["staging", "prod"])
def test_each_endpoint_role_can_pull_its_platform_image_through_its_policy_and_the_repository_policy(
    multi_account_templates: dict[str, dict[str, Any]], multi_account_raw: dict[str, Any], stage: str
) -> None:
    for endpoint, repository in platform_image_endpoints(multi_account_raw):
        # hop 1: the endpoint's container image is the repository's URI in the images (tooling) account
        identity = endpoint_role(multi_account_templates, stage, endpoint)
        principal = role_arn(ACCOUNT_OF[stage], naming.endpoint_role_name(P, endpoint, stage))  # type: ignore[arg-type]
        # hop 2: the role's own policy allows the pull on that repository, and the registry token
        for action in PULL:
            assert allows(identity, action, repo_arn(repository)), (stage, endpoint, action)
        assert allows(identity, "ecr:GetAuthorizationToken", "*")
        # hop 3: the repository policy (another account) lets that exact role in
        repo = repositories(multi_account_templates)[f"{P}/{repository}"]
        for action in PULL:
            assert repository_allows(repo, principal, action), (stage, endpoint, action)


def test_the_endpoint_image_uri_names_the_platform_repository_in_the_images_account(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    images = [
        text(container["Image"])
        for name, template in multi_account_templates.items()
        if "hostingprod" in name.replace("-", "")
        for model in resources_of_type(template, "AWS::SageMaker::Model").values()
        for container in as_list(model["Properties"].get("PrimaryContainer", model["Properties"].get("Containers")))
        if "Image" in container
    ]
    assert f"{TOOLING}.dkr.ecr.{REGION}.amazonaws.com/{P}/churn-serving:1.4.0" in images


def test_the_repository_policy_refuses_other_roles_other_organizations_and_account_roots(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    repo = repositories(multi_account_templates)[f"{P}/churn-serving"]
    custom = role_arn(PROD, naming.endpoint_role_name(P, "churn-custom", "prod"))
    assert repository_allows(repo, custom, "ecr:BatchGetImage")
    # an endpoint of the same account that does not use the image, the account root, the wrong organization
    assert not repository_allows(repo, role_arn(PROD, naming.endpoint_role_name(P, "churn-async", "prod")), PULL[0])
    assert not repository_allows(repo, f"arn:<AWS::Partition>:iam::{PROD}:root", PULL[0])
    assert not repository_allows(repo, custom, PULL[0], org="o-other")
    # pull only: no push through the repository policy (CI pushes from the same account with its own policy)
    assert not repository_allows(repo, custom, "ecr:PutImage")


def test_training_images_are_pulled_by_the_dev_training_and_pipeline_roles_only(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    repo = repositories(multi_account_templates)[f"{P}/churn-training"]
    for name in (naming.sagemaker_execution_role_name(P), naming.pipeline_step_role_name(P)):
        assert repository_allows(repo, role_arn(DEV, name), "ecr:BatchGetImage")
        assert not repository_allows(repo, role_arn(PROD, name), "ecr:BatchGetImage")


def test_every_repository_is_encrypted_scanned_immutable_expiring_and_retained(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    repos = repositories(multi_account_templates)
    assert set(repos) == {f"{P}/churn-serving", f"{P}/churn-training"}
    for name, repo in repos.items():
        props = repo["Properties"]
        assert props["EncryptionConfiguration"]["EncryptionType"] == "KMS", name
        assert "KmsKey" in props["EncryptionConfiguration"], name
        assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}, name
        assert props["ImageTagMutability"] == "IMMUTABLE", name
        assert '"tagStatus":"untagged"' in props["LifecyclePolicy"]["LifecyclePolicyText"], name
        assert repo["DeletionPolicy"] == "Retain" and repo["UpdateReplacePolicy"] == "Retain", name
        for statement in as_list(props["RepositoryPolicyText"]["Statement"]):
            principals = [text(p) for p in as_list(statement["Principal"]["AWS"])]
            assert not any(p.endswith(":root") for p in principals), name
            # a '*' principal is always narrowed to exact role ARNs
            named = [text(a) for a in as_list(statement["Condition"]["StringEquals"]["aws:PrincipalArn"])]
            assert named and all(":role/" in a and "*" not in a for a in named), name


# --- CI identities ---------------------------------------------------------------------------------------


def ci_template(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates[f"{P}-ci"]


def test_the_ci_stack_has_one_oidc_provider_per_ci_system(multi_account_templates: dict[str, dict[str, Any]]) -> None:
    providers = resources_of_type(ci_template(multi_account_templates), "AWS::IAM::OIDCProvider").values()
    by_url = {p["Properties"]["Url"]: p["Properties"]["ClientIdList"] for p in providers}
    assert by_url == {
        "https://gitlab.example.com": ["https://gitlab.example.com"],
        "https://token.actions.githubusercontent.com": ["sts.amazonaws.com"],
    }


@pytest.mark.parametrize(
    ("role", "issuer", "audience", "subjects"),
    [
        (
            "mlplatform-ci-gitlab",
            "gitlab.example.com",
            "https://gitlab.example.com",
            ["project_path:ml/churn-model:ref_type:branch:ref:main"],
        ),
        (
            "mlplatform-ci-github",
            "token.actions.githubusercontent.com",
            "sts.amazonaws.com",
            [
                "repo:example-org/sagemaker-platform:environment:production",
                "repo:example-org/sagemaker-platform:ref:refs/heads/main",
            ],
        ),
    ],
)
def test_each_ci_role_trusts_only_its_provider_for_the_audience_and_the_exact_subjects(
    multi_account_templates: dict[str, dict[str, Any]], role: str, issuer: str, audience: str, subjects: list[str]
) -> None:
    template = ci_template(multi_account_templates)
    trust = template["Resources"][roles_by_name(template)[role]]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(statement["Principal"]) == {"Federated"}
    assert statement["Condition"] == {"StringEquals": {f"{issuer}:aud": audience, f"{issuer}:sub": subjects}}


def test_ci_roles_may_push_to_the_platform_repositories_read_with_the_lookup_roles_and_reach_the_build_account(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    template = ci_template(multi_account_templates)
    accounts = sorted({TOOLING, "222222222222", DEV, STAGING, PROD})
    lookups = {f"arn:<AWS::Partition>:iam::{a}:role/cdk-hnb659fds-lookup-role-{a}-{REGION}" for a in accounts}
    for role in ("mlplatform-ci-gitlab", "mlplatform-ci-github"):
        statements = identity_statements(template, roles_by_name(template)[role])
        assert allows(statements, "ecr:PutImage", repo_arn("churn-serving"))
        assert allows(statements, "ecr:PutImage", repo_arn("churn-training"))
        assert not allows(statements, "ecr:PutImage", f"arn:<AWS::Partition>:ecr:{REGION}:{TOOLING}:repository/other")
        assert allows(statements, "ecr:GetAuthorizationToken", "*")
        assumable = {
            text(r) for s in statements if "sts:AssumeRole" in as_list(s["Action"]) for r in as_list(s["Resource"])
        }
        # the lookup roles, and the role that uploads build code and starts the build pipeline in dev
        assert assumable == lookups | {role_arn(DEV, naming.ci_pipeline_role_name(P))}
        assert not allows(
            statements,
            "sts:AssumeRole",
            f"arn:<AWS::Partition>:iam::{PROD}:role/cdk-hnb659fds-deploy-role-{PROD}-{REGION}",
        )
        actions = {a for s in statements for a in as_list(s["Action"])}
        assert actions <= {
            "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability",
            "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
            "ecr:DescribeImages", "ecr:DescribeImageScanFindings", "ecr:GetAuthorizationToken",
            "sts:AssumeRole", "sts:TagSession",
        }  # fmt: skip


def test_no_iam_user_or_access_key_anywhere_in_the_app(
    default_templates: dict[str, dict[str, Any]], multi_account_templates: dict[str, dict[str, Any]]
) -> None:
    forbidden = {"AWS::IAM::User", "AWS::IAM::AccessKey", "AWS::IAM::UserToGroupAddition"}
    for templates in (default_templates, multi_account_templates):
        assert templates
        for name, template in templates.items():
            types = {r["Type"] for r in template.get("Resources", {}).values()}
            assert not types & forbidden, name


# --- config faults ---------------------------------------------------------------------------------------


def test_given_an_endpoint_naming_an_unknown_platform_repository_then_one_error_names_the_key(
    multi_account_raw: dict[str, Any],
) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["images"]["repositories"] = [{"name": "churn-training"}]
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    message = str(error.value)
    assert "endpoints[4].image.platform_repository" in message and "churn-serving" in message
    assert "known: churn-training" in message


def test_given_a_repeated_repository_name_then_one_error_names_the_key(multi_account_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["images"]["repositories"].append({"name": "churn-serving"})
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert '`images.repositories` = "churn-serving": each repository name may be used once' in str(error.value)


@pytest.mark.parametrize(
    ("section", "value", "key"),
    [
        ("gitlab", {"projects": [{"path": "ml/churn", "branches": ["*"]}]}, "ci.gitlab.projects[0].branches[0]"),
        ("gitlab", {"url": "http://gitlab.example.com", "projects": [{"path": "ml/churn"}]}, "ci.gitlab.url"),
        ("github", {"repositories": [{"name": "org/repo", "branches": []}]}, "ci.github.repositories[0].branches"),
    ],
)
def test_given_a_wildcard_or_insecure_ci_subject_then_one_error_names_the_key(
    multi_account_raw: dict[str, Any], section: str, value: dict[str, Any], key: str
) -> None:
    raw = copy.deepcopy(multi_account_raw)
    raw["ci"] = {section: value}
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert f"`{key}`" in str(error.value)


# --- the single-account sandbox (env-agnostic) ---------------------------------------------------------------


def test_given_the_sandbox_then_images_and_ci_synthesize_env_agnostic_through_the_gate() -> None:
    import aws_cdk as cdk

    from sagemaker_platform.compliance import add_compliance_gate
    from sagemaker_platform.stacks.ci import CiStack, ImagesStack

    config = parse_config(
        {
            "images": {"repositories": [{"name": "serving", "pullers": ["endpoints"], "pull_accounts": ["prod"]}]},
            "ci": {"github": {"repositories": [{"name": "org/repo"}]}},
            "endpoints": [
                {"name": "api", "image": {"platform_repository": "serving", "tag": "1"}, "instance_type": "ml.m5.large"}
            ],
        }
    )
    app = cdk.App()
    ImagesStack(app, "Images", config=config)
    CiStack(app, "Ci", config=config)
    add_compliance_gate(app)
    assembly = app.synth()
    (repo,) = resources_of_type(assembly.get_stack_by_name("Images").template, "AWS::ECR::Repository").values()
    (statement,) = repo["Properties"]["RepositoryPolicyText"]["Statement"]
    assert [text(a) for a in as_list(statement["Condition"]["StringEquals"]["aws:PrincipalArn"])] == [
        "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/mlplatform-endpoint-api-prod"
    ]
    ci = assembly.get_stack_by_name("Ci").template
    statements = identity_statements(ci, roles_by_name(ci)["mlplatform-ci-github"])
    assert allows(
        statements,
        "sts:AssumeRole",
        "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-hnb659fds-lookup-role-<AWS::AccountId>-<AWS::Region>",
    )
    assert allows(
        statements,
        "ecr:PutImage",
        "arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/mlplatform/serving",
    )


def test_given_an_existing_provider_then_the_role_trusts_it_and_no_provider_is_created() -> None:
    import aws_cdk as cdk

    from sagemaker_platform.stacks.ci import CiStack

    existing = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    config = parse_config(
        {"ci": {"github": {"repositories": [{"name": "org/repo"}], "existing_provider_arn": existing}}}
    )
    app = cdk.App()
    CiStack(app, "Ci", config=config)
    template = app.synth().get_stack_by_name("Ci").template
    assert not resources_of_type(template, "AWS::IAM::OIDCProvider")
    trust = template["Resources"][roles_by_name(template)["mlplatform-ci-github"]]["Properties"]
    assert trust["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Federated": existing}
