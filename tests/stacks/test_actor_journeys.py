"""Actor journeys: each actor's calls, followed hop by hop through the synthesized policies.

For every actor (the Studio personas, the endpoint roles, CloudFormation creating a pinned model, the deploy
role, the pipeline-step role, the tuning roles) the calls its job needs must pass its identity policy and,
across accounts, the resource and key policies on the other side; calls it must not make must be refused
by at least one of them (and, where this app writes both sides, by each). A journey that cannot complete
fails naming the hop that refuses it (`walk`).

Both shipped configs: the sandbox (`cdk.json`, one account) and `examples/multi-account.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from sagemaker_platform import naming
from tests.registry_helpers import text
from tests.support import ACCOUNTS, resources_of_type
from tests.wiring_helpers import (
    Hop,
    allows,
    as_list,
    key_policy_suffices,
    refused_somewhere,
    resource_policy_allows,
    role_references,
    walk,
)

P = "mlplatform"
ORG = "o-a1b2c3d4e5"


@dataclass(frozen=True)
class World:
    """One synthesized app, with the accounts and region its policies are written for."""

    templates: dict[str, dict[str, Any]]
    region: str
    accounts: dict[str, str]  # account role -> account id as the templates render it
    org: dict[str, str]  # request context every cross-account call carries

    def arn(self, service: str, role: str, resource: str) -> str:
        account = "" if service == "s3" else self.accounts[role]
        region = "" if service in ("s3", "iam") else self.region
        return f"arn:<AWS::Partition>:{service}:{region}:{account}:{resource}"

    def role_arn(self, role: str, name: str) -> str:
        return naming.role_arn("<AWS::Partition>", self.accounts[role], name)

    def template(self, stack: str) -> dict[str, Any]:
        return self.templates[f"{P}-{stack}"]


def sandbox(templates: dict[str, dict[str, Any]]) -> World:
    one = "<AWS::AccountId>"
    return World(templates, "<AWS::Region>", dict.fromkeys(("tooling", "registry", "dev", "staging", "prod"), one), {})


def multi(templates: dict[str, dict[str, Any]]) -> World:
    return World(templates, "eu-west-1", dict(ACCOUNTS), {"aws:PrincipalOrgID": ORG})


@pytest.fixture(params=["sandbox", "multi-account"])
def world(request: pytest.FixtureRequest) -> World:
    if request.param == "sandbox":
        return sandbox(request.getfixturevalue("default_templates"))
    return multi(request.getfixturevalue("multi_account_templates"))


# --- reading policies -----------------------------------------------------------------------------


def identity(world: World, role_name: str, *stacks: str) -> list[dict[str, Any]]:
    """Every identity statement of the role named `role_name`: managed policies attached by Ref in the
    template that creates it or through its nested stack's output in the parent (`role_references`: the shared
    policies), and by name from any of `stacks` (e.g. the tuning stack's persona policy)."""
    found: list[dict[str, Any]] = []
    references = role_references(world.templates, role_name)
    created = bool(references)
    for name, template in world.templates.items():
        for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values():
            attached = policy["Properties"].get("Roles", [])
            by_ref = any(reference in attached for reference in references.get(name, []))
            by_name = any(name.endswith(stack) for stack in stacks) and role_name in attached
            if by_ref or by_name:
                found.extend(as_list(policy["Properties"]["PolicyDocument"]["Statement"]))
    assert created, f"no template creates the role {role_name}"
    return found


def group_policy(world: World, group: str) -> list[dict[str, Any]]:
    for resource in resources_of_type(world.template("registry"), "AWS::SageMaker::ModelPackageGroup").values():
        if resource["Properties"]["ModelPackageGroupName"] == group:
            return as_list(resource["Properties"]["ModelPackageGroupPolicy"]["Statement"])
    raise AssertionError(f"the registry declares no group {group}")


def artifacts_bucket(world: World) -> tuple[str, list[dict[str, Any]]]:
    """(logical id, bucket policy statements) of the registry's artifacts bucket."""
    template = world.template("registry")
    name = naming.model_artifacts_bucket_name(P, world.accounts["registry"], world.region)
    (logical_id,) = [
        lid
        for lid, r in resources_of_type(template, "AWS::S3::Bucket").items()
        if text(r["Properties"].get("BucketName", "")) == name
    ]
    (policy,) = [
        p
        for p in resources_of_type(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    return logical_id, as_list(policy["Properties"]["PolicyDocument"]["Statement"])


def artifacts_key_policy(world: World) -> list[dict[str, Any]]:
    (key,) = [
        k
        for k in resources_of_type(world.template("registry"), "AWS::KMS::Key").values()
        if "artifacts" in k["Properties"]["Description"]
    ]
    return as_list(key["Properties"]["KeyPolicy"]["Statement"])


# --- the registry's three sides: group, bucket, key ----------------------------------------------------


def package(world: World, group: str, version: int = 3) -> str:
    return world.arn("sagemaker", "registry", f"model-package/{group}/{version}")


def group_arn(world: World, group: str) -> str:
    return world.arn("sagemaker", "registry", f"model-package-group/{group}")


def sagemaker_hops(
    world: World, caller: str, statements: list[dict[str, Any]], action: str, resource: str, group: str, **context: str
) -> list[Hop]:
    ctx = {**world.org, **context}
    return [
        Hop(f"{caller}'s identity policy ({action} on {resource})", allows(statements, action, resource, ctx)),
        Hop(
            f"the {group} group's resource policy ({action} for {caller})",
            resource_policy_allows(group_policy(world, group), caller, action, resource, ctx),
        ),
    ]


def artifact_hops(world: World, caller: str, statements: list[dict[str, Any]], action: str, key: str) -> list[Hop]:
    """S3 `action` on the artifacts object `key`, and the KMS call S3 makes with the caller's credentials."""
    bucket_name = naming.model_artifacts_bucket_name(P, world.accounts["registry"], world.region)
    logical_id, bucket_policy = artifacts_bucket(world)
    writes = action == "s3:PutObject"
    alias = naming.model_artifacts_key_alias(P)
    s3_context = {
        **world.org,
        # Uploads name the bucket's key (its policy denies any other encryption).
        **(
            {
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": f"arn:<AWS::Partition>:kms:{world.region}:"
                f"{world.accounts['registry']}:{alias}",
            }
            if writes
            else {}
        ),
    }
    kms_action = "kms:GenerateDataKey" if writes else "kms:Decrypt"
    kms_context = {
        **world.org,
        "kms:ViaService": f"s3.{world.region}.<AWS::URLSuffix>",
        "kms:ResourceAliases": [alias],
        "kms:EncryptionContext:aws:s3:arn": f"arn:<AWS::Partition>:s3:::{bucket_name}",
    }
    key_arn = world.arn("kms", "registry", "key/0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    key_policy = artifacts_key_policy(world)
    direct = key_policy_suffices(key_policy, caller, kms_action, world.accounts["registry"], kms_context)
    return [
        Hop(
            f"{caller}'s identity policy ({action} on {key})",
            allows(statements, action, f"arn:<AWS::Partition>:s3:::{bucket_name}/{key}", s3_context),
        ),
        Hop(
            f"the artifacts bucket policy ({action} on {key} for {caller})",
            resource_policy_allows(bucket_policy, caller, action, f"<{logical_id}.Arn>/{key}", s3_context),
        ),
        Hop(
            f"{caller}'s identity policy ({kms_action} through S3; not needed where the key policy names "
            "the caller in the key's own account)",
            direct or allows(statements, kms_action, key_arn, kms_context),
        ),
        Hop(
            f"the artifacts key policy ({kms_action} for {caller})",
            resource_policy_allows(key_policy, caller, kms_action, "*", kms_context),
        ),
    ]


# --- Studio personas ------------------------------------------------------------------------------------


def persona(world: World, name: str) -> tuple[str, list[dict[str, Any]]]:
    role_name = naming.studio_persona_role_name(P, name)
    return world.role_arn("dev", role_name), identity(world, role_name, f"{P}-tuning")


@pytest.mark.parametrize("name", ["data-scientist", "approver"])
def test_a_studio_persona_registers_a_version_from_dev_as_pending_manual_approval(world: World, name: str) -> None:
    if name == "approver" and world.region == "<AWS::Region>":
        pytest.skip("the sandbox's users are all data scientists")
    caller, statements = persona(world, name)
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    walk(
        f"{name} uploads a model",
        artifact_hops(world, caller, statements, "s3:PutObject", "churn/exp-42/model.tar.gz"),
    )
    walk(
        f"{name} registers it",
        sagemaker_hops(
            world, caller, statements, "sagemaker:CreateModelPackage", group_arn(world, "churn"), "churn", **pending
        ),
    )
    for action in ("sagemaker:DescribeModelPackageGroup", "sagemaker:ListModelPackages"):
        walk(
            f"{name} reads the group",
            sagemaker_hops(world, caller, statements, action, group_arn(world, "churn"), "churn"),
        )
    walk(
        f"{name} reads a version's artifacts",
        artifact_hops(world, caller, statements, "s3:GetObject", "churn/exp-41/model.tar.gz"),
    )
    # Registering as Approved is refused on both sides.
    approved = sagemaker_hops(
        world,
        caller,
        statements,
        "sagemaker:CreateModelPackage",
        group_arn(world, "churn"),
        "churn",
        **{"sagemaker:ModelApprovalStatus": "Approved"},
    )
    assert len(refused_somewhere(approved)) == 2, approved


def test_the_data_scientist_may_not_approve_and_the_approver_may(world: World) -> None:
    caller, statements = persona(world, "data-scientist")
    hops = sagemaker_hops(world, caller, statements, "sagemaker:UpdateModelPackage", package(world, "churn"), "churn")
    assert len(refused_somewhere(hops)) == 2, hops  # neither the role nor the group allows it
    if world.region == "<AWS::Region>":
        return  # the sandbox config has no approver
    caller, statements = persona(world, "approver")
    for group in ("churn", "fraud-detection"):
        walk(
            f"approver approves a {group} version",
            sagemaker_hops(world, caller, statements, "sagemaker:UpdateModelPackage", package(world, group), group),
        )


def test_the_data_scientist_starts_and_watches_tuning_with_the_teams_data(world: World) -> None:
    caller, statements = persona(world, "data-scientist")
    tuning = world.template("tuning")
    (machine,) = resources_of_type(tuning, "AWS::StepFunctions::StateMachine")
    buckets = [lid for lid in resources_of_type(tuning, "AWS::S3::Bucket") if lid.startswith("Storage")]
    (data,) = [b for b in buckets if b.startswith("StorageData")]
    (output,) = [b for b in buckets if b.startswith("StorageOutput")]
    (training_role,) = [
        lid for lid in resources_of_type(tuning, "AWS::IAM::Role") if lid.startswith("StorageTrainingRole")
    ]
    (key,) = [lid for lid in resources_of_type(tuning, "AWS::KMS::Key") if lid.startswith("StorageKey")]
    executions = world.arn("states", "dev", f"execution:<{machine}.Name>:churn-20260101")
    calls = [
        ("states:StartExecution", f"<{machine}>", {}),
        ("states:DescribeExecution", executions, {}),
        ("states:GetExecutionHistory", executions, {}),
        ("s3:PutObject", f"<{data}.Arn>/churn/train/part-0.csv", {}),
        ("s3:GetObject", f"<{data}.Arn>/churn/train/part-0.csv", {}),
        ("s3:GetObject", f"<{output}.Arn>/churn-hpo/output/model.tar.gz", {}),
        ("kms:GenerateDataKey", f"<{key}.Arn>", {}),
        (
            "sagemaker:DescribeHyperParameterTuningJob",
            world.arn("sagemaker", "dev", "hyper-parameter-tuning-job/x"),
            {},
        ),
        ("iam:PassRole", f"<{training_role}.Arn>", {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    ]
    for action, resource, context in calls:
        walk(
            f"data scientist {action}",
            [
                Hop(
                    f"{caller}'s identity policy ({action} on {resource})",
                    allows(statements, action, resource, context),
                )
            ],
        )
    queues = [
        lid
        for lid in resources_of_type(tuning, "AWS::SQS::Queue")
        if lid.startswith("LauncherQueue") and "DeadLetters" not in lid
    ]
    for queue in queues:  # the launcher, when the config has one
        assert allows(statements, "sqs:SendMessage", f"<{queue}.Arn>")
    # Only the platform's training role, and only to SageMaker.
    deploy_role = world.role_arn("dev", naming.pipeline_step_role_name(P))
    assert not allows(statements, "iam:PassRole", deploy_role, {"iam:PassedToService": "sagemaker.amazonaws.com"})
    assert not allows(
        statements, "iam:PassRole", f"<{training_role}.Arn>", {"iam:PassedToService": "ec2.amazonaws.com"}
    )


def test_in_the_sandbox_the_data_scientist_invokes_staging_endpoints_and_reads_their_logs_but_not_prod(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    world = sandbox(default_templates)
    _, statements = persona(world, "data-scientist")
    staging = naming.endpoint_name(P, "churn-async", "staging")
    prod = naming.endpoint_name(P, "churn-async", "prod")
    assert allows(statements, "sagemaker:InvokeEndpointAsync", world.arn("sagemaker", "staging", f"endpoint/{staging}"))
    logs = world.arn("logs", "staging", f"log-group:/aws/sagemaker/Endpoints/{staging}:log-stream:AllTraffic/i-1")
    assert allows(statements, "logs:GetLogEvents", logs)
    assert not allows(statements, "sagemaker:InvokeEndpointAsync", world.arn("sagemaker", "prod", f"endpoint/{prod}"))
    assert not allows(statements, "logs:GetLogEvents", logs.replace(staging, prod))


@pytest.mark.parametrize("name", ["data-scientist", "approver"])
def test_studio_users_manage_only_their_own_projects(world: World, name: str) -> None:
    if name == "approver" and world.region == "<AWS::Region>":
        pytest.skip("the sandbox's users are all data scientists")
    _, statements = persona(world, name)
    mine = world.arn("sagemaker", "dev", "project/alice-churn-build")
    theirs = world.arn("sagemaker", "dev", "project/bob-churn-build")
    alice = {"aws:SourceIdentity": "alice"}
    for action in ("sagemaker:CreateProject", "sagemaker:UpdateProject", "sagemaker:DeleteProject"):
        assert allows(statements, action, mine, alice), action
        assert not allows(statements, action, theirs, alice), action
        # A session without the profile name (outside Studio) manages none.
        assert not allows(statements, action, mine), action


# --- endpoint roles and the principal that creates a pinned model -------------------------------------

FED_BY = {"churn-async": "churn"}
MULTI_FED_BY = {"churn-async": "churn", "churn-realtime": "churn", "fraud-realtime": "fraud-detection"}


@pytest.mark.parametrize("stage", naming.STAGES)
def test_each_endpoint_role_reads_its_own_groups_artifacts_and_no_others(world: World, stage: naming.Stage) -> None:
    fed_by = FED_BY if world.region == "<AWS::Region>" else MULTI_FED_BY
    groups = set(fed_by.values()) | ({"fraud-detection"} if world.region != "<AWS::Region>" else set())
    for endpoint, group in fed_by.items():
        role_name = naming.endpoint_role_name(P, endpoint, stage)
        caller, statements = world.role_arn(stage, role_name), identity(world, role_name)
        # SageMaker loads the model's artifacts with the endpoint's role (the model's creator, the deploy role or
        # CloudFormation, describes the version); a pinned version is described with the role too.
        hops = artifact_hops(world, caller, statements, "s3:GetObject", f"{group}/run-7/model.tar.gz")
        if endpoint == "fraud-realtime":
            # The config's ARN names the partition (`arn:aws:`); the registry's policy renders it as a token.
            literal = "arn:aws:sagemaker:eu-west-1:222222222222:model-package/fraud-detection/7"
            hops += [
                Hop(
                    f"{caller}'s identity policy (DescribeModelPackage)",
                    allows(statements, "sagemaker:DescribeModelPackage", literal),
                ),
                sagemaker_hops(
                    world,
                    caller,
                    statements,
                    "sagemaker:DescribeModelPackage",
                    literal.replace("arn:aws:", "arn:<AWS::Partition>:"),
                    group,
                )[1],
            ]
        walk(f"{endpoint} ({stage}) loads a {group} model", hops)
        for other in groups - {group}:
            hops = artifact_hops(world, caller, statements, "s3:GetObject", f"{other}/run-7/model.tar.gz")[:2]
            # Refused by the role's own policy and by the bucket policy.
            assert len(refused_somewhere(hops)) == 2, (endpoint, other, hops)
        if world.region == "<AWS::Region>":
            # The sandbox has one group: the rest of the bucket is still out of reach.
            hops = artifact_hops(world, caller, statements, "s3:GetObject", "other/run-7/model.tar.gz")[:2]
            assert len(refused_somewhere(hops)) == 2, hops
        # An endpoint role never writes the registry.
        assert refused_somewhere(artifact_hops(world, caller, statements, "s3:PutObject", f"{group}/x/model.tar.gz"))


@pytest.mark.parametrize("stage", naming.STAGES)
def test_given_accounts_then_cloudformation_may_create_the_pinned_model_from_the_registry(
    multi_account_templates: dict[str, dict[str, Any]], stage: naming.Stage
) -> None:
    world = multi(multi_account_templates)
    account = ACCOUNTS[stage]
    caller = naming.role_arn("<AWS::Partition>", account, f"cdk-hnb659fds-cfn-exec-role-{account}-eu-west-1")
    pinned = world.arn("sagemaker", "registry", "model-package/fraud-detection/7")
    for action in ("sagemaker:CreateModel", "sagemaker:DescribeModelPackage"):
        assert resource_policy_allows(group_policy(world, "fraud-detection"), caller, action, pinned, world.org), action
        # Not on a group no pinned endpoint uses.
        assert not resource_policy_allows(
            group_policy(world, "churn"), caller, action, package(world, "churn"), world.org
        )


# --- the deploy role and the pipeline-step role across accounts -----------------------------------------


@pytest.mark.parametrize("stage", naming.STAGES)
def test_the_deploy_role_creates_models_from_registry_versions_on_both_sides(world: World, stage: naming.Stage) -> None:
    role_name = naming.deploy_role_name(P)
    caller = world.role_arn(stage, role_name)
    statements = identity_in(
        world, "workload-access" if world.region == "<AWS::Region>" else f"workload-access-{stage}", role_name
    )
    for action in ("sagemaker:DescribeModelPackage", "sagemaker:CreateModel"):
        walk(
            f"deploy ({stage}) {action}",
            sagemaker_hops(world, caller, statements, action, package(world, "churn"), "churn"),
        )
    walk(
        f"deploy ({stage}) reads the artifacts",
        artifact_hops(world, caller, statements, "s3:GetObject", "churn/r/model.tar.gz"),
    )
    assert (
        len(
            refused_somewhere(
                sagemaker_hops(
                    world, caller, statements, "sagemaker:UpdateModelPackage", package(world, "churn"), "churn"
                )
            )
        )
        == 2
    )


def test_the_pipeline_step_role_registers_from_dev_only_as_pending(world: World) -> None:
    role_name = naming.pipeline_step_role_name(P)
    caller = world.role_arn("dev", role_name)
    stack = "workload-access" if world.region == "<AWS::Region>" else "workload-access-dev"
    statements = identity_in(world, stack, role_name)
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    walk(
        "pipeline step registers",
        sagemaker_hops(
            world, caller, statements, "sagemaker:CreateModelPackage", group_arn(world, "churn"), "churn", **pending
        ),
    )
    walk("pipeline step uploads", artifact_hops(world, caller, statements, "s3:PutObject", "churn/job-1/model.tar.gz"))
    approved = {"sagemaker:ModelApprovalStatus": "Approved"}
    assert (
        len(
            refused_somewhere(
                sagemaker_hops(
                    world,
                    caller,
                    statements,
                    "sagemaker:CreateModelPackage",
                    group_arn(world, "churn"),
                    "churn",
                    **approved,
                )
            )
        )
        == 2
    )


def identity_in(world: World, stack: str, role_name: str) -> list[dict[str, Any]]:
    template = world.templates[f"{P}-{stack}"]
    ids = [
        k
        for k, r in resources_of_type(template, "AWS::IAM::Role").items()
        if r["Properties"].get("RoleName") == role_name
    ]
    return [
        s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if any({"Ref": lid} in p["Properties"].get("Roles", []) for lid in ids)
        for s in as_list(p["Properties"]["PolicyDocument"]["Statement"])
    ]


# --- the tuning roles -----------------------------------------------------------------------------------


def test_the_tuning_pipeline_passes_only_the_training_role_and_the_training_role_reads_data_writes_output(
    world: World,
) -> None:
    tuning = world.template("tuning")
    (machine,) = resources_of_type(tuning, "AWS::StepFunctions::StateMachine").values()
    machine_role = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    (training_role,) = [
        lid for lid in resources_of_type(tuning, "AWS::IAM::Role") if lid.startswith("StorageTrainingRole")
    ]
    by_role = {
        lid: [
            s
            for p in [
                *resources_of_type(tuning, "AWS::IAM::ManagedPolicy").values(),
                *resources_of_type(tuning, "AWS::IAM::Policy").values(),
            ]
            if {"Ref": lid} in p["Properties"].get("Roles", [])
            for s in as_list(p["Properties"]["PolicyDocument"]["Statement"])
        ]
        for lid in (machine_role, training_role)
    }
    sm = by_role[machine_role]
    job = world.arn("sagemaker", "dev", "hyper-parameter-tuning-job/churn-1")
    walk(
        "tuning pipeline starts a tuning job",
        [Hop("the state machine role's policy", allows(sm, "sagemaker:CreateHyperParameterTuningJob", job))],
    )
    passed = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    walk(
        "tuning pipeline passes the training role",
        [Hop("the state machine role's policy", allows(sm, "iam:PassRole", f"<{training_role}.Arn>", passed))],
    )
    assert not allows(sm, "iam:PassRole", world.role_arn("dev", naming.pipeline_step_role_name(P)), passed)
    training = by_role[training_role]
    buckets = resources_of_type(tuning, "AWS::S3::Bucket")
    (data,) = [b for b in buckets if b.startswith("StorageData")]
    (output,) = [b for b in buckets if b.startswith("StorageOutput")]
    walk(
        "training job reads its channels and writes its model",
        [
            Hop(
                "the training role's policy (read data)",
                allows(training, "s3:GetObject", f"<{data}.Arn>/churn/train/a.csv"),
            ),
            Hop(
                "the training role's policy (write output)",
                allows(training, "s3:PutObject", f"<{output}.Arn>/churn-1/output/model.tar.gz"),
            ),
        ],
    )
    assert not allows(training, "s3:PutObject", f"<{data}.Arn>/churn/train/a.csv")
