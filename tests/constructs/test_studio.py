"""StudioDomain and StudioStack: network, roles, key, images, idle shutdown, profiles at scale, teardown wiring.

The reference app's templates (`default_templates`, `multi_account_templates`, synthesized once per session
with the compliance gate) carry the config-driven assertions; small construct-level apps without the gate
(module-scoped) carry the prop variants and the 2,000-user scale check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import cx_api

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.constructs.studio import (
    APP_ACTIONS,
    DOMAIN_DESCRIBE_ACTIONS,
    PROFILE_DESCRIBE_ACTIONS,
    SPACE_ACTIONS,
    STUDIO_IMAGE_ACCOUNTS,
    StudioDomain,
    StudioUser,
    profile_shard,
)
from sagemaker_platform.errors import PropsError
from sagemaker_platform.regions import PARTITION_REGIONS
from tests.support import resources_of_type, templates_of

STUDIO = "mlplatform-studio"
ANY_FULL_ACCESS = "FullAccess"


def build(
    outdir: Path,
    *,
    users: list[StudioUser] | None = None,
    env: cdk.Environment | None = None,
    customize: Callable[[StudioDomain], None] | None = None,
    gate: bool = False,
    **props: Any,
) -> tuple[cx_api.CloudAssembly, StudioDomain]:
    """A construct-level app, without the compliance gate unless asked (the reference app's tests run it)."""
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Studio", env=env)
    studio = StudioDomain(stack, "Studio", domain_name="research", users=users or [], **props)
    if customize is not None:
        customize(studio)
    if gate:
        add_compliance_gate(app)
    return app.synth(), studio


def one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    (resource,) = resources_of_type(template, resource_type).values()
    return resource


def profiles_by_stack(templates: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """User profile name -> (nested stack template, logical id)."""
    found: dict[str, tuple[str, str]] = {}
    for name, template in templates.items():
        for logical_id, resource in resources_of_type(template, "AWS::SageMaker::UserProfile").items():
            found[resource["Properties"]["UserProfileName"]] = (name, logical_id)
    return found


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """SSO, Studio Classic images, no idle shutdown, sharing on, DESTROY, and a data grant."""

    def grant(studio: StudioDomain) -> None:
        data = s3.Bucket.from_bucket_name(studio, "Data", "research-data")
        studio.grant_read_data(data, "curated/*")
        studio.grant_read_write_data(data, "scratch/bob/*", user="bob")

    assembly, _ = build(
        tmp_path_factory.mktemp("variant"),
        users=[StudioUser("alice", sso_user_value="alice@example.com"), StudioUser("bob", own_role=True)],
        auth_mode="SSO",
        classic_images=True,
        idle_shutdown_minutes=None,
        notebook_output_sharing=True,
        removal_policy=cdk.RemovalPolicy.DESTROY,
        customize=grant,
        gate=True,  # the variant props (sharing bucket, own roles, grants, teardown) pass the gate too
    )
    return templates_of(assembly)


# --- network ---------------------------------------------------------------------------------------------


def test_given_the_default_config_then_the_domain_is_vpc_only_in_isolated_subnets(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    domain = one(template, "AWS::SageMaker::Domain")["Properties"]
    assert domain["AppNetworkAccessType"] == "VpcOnly"
    assert resources_of_type(template, "AWS::EC2::InternetGateway") == {}
    assert resources_of_type(template, "AWS::EC2::NatGateway") == {}
    assert len(domain["SubnetIds"]) == 2
    assert one(template, "AWS::EC2::FlowLog")["Properties"]["TrafficType"] == "ALL"


def _studio_own(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Resources of the domain's own network: without the platform functions' (`network.functions` in cdk.json,
    tests/test_function_network.py), which are not the domain's and go with the stack."""
    return {
        logical_id: res
        for logical_id, res in resources_of_type(template, resource_type).items()
        if "/FunctionEndpoints/" not in res.get("Metadata", {}).get("aws:cdk:path", "")
        and "FunctionEndpoints" not in json.dumps(res.get("Properties", {}))
    }


def test_given_a_new_vpc_then_it_has_the_endpoints_studio_needs(default_templates: dict[str, dict[str, Any]]) -> None:
    endpoints = _studio_own(default_templates[STUDIO], "AWS::EC2::VPCEndpoint").values()
    services = {json.dumps(e["Properties"]["ServiceName"]) for e in endpoints}
    for needed in ("sagemaker.api", "sagemaker.runtime", ".sts", ".logs", "ecr.api", "ecr.dkr", ".s3", ".kms"):
        assert any(needed in service for service in services), (needed, services)
    gateway = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Gateway"]
    assert len(gateway) == 1 and ".s3" in json.dumps(gateway[0]["Properties"]["ServiceName"])


def test_given_the_studio_security_group_then_it_allows_only_nfs_app_ports_within_itself_and_https_out(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    groups = resources_of_type(template, "AWS::EC2::SecurityGroup")
    studio_id = next(k for k, g in groups.items() if g["Properties"]["GroupDescription"].startswith("SageMaker Studio"))
    studio = groups[studio_id]["Properties"]
    assert studio["SecurityGroupEgress"] == [
        {
            "CidrIp": "0.0.0.0/0",
            "Description": "HTTPS to the VPC endpoints and S3",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]
    self_ref = {"Fn::GetAtt": [studio_id, "GroupId"]}
    rules = [
        r["Properties"]
        for r in {
            **resources_of_type(template, "AWS::EC2::SecurityGroupIngress"),
            **resources_of_type(template, "AWS::EC2::SecurityGroupEgress"),
        }.values()
        if r["Properties"]["GroupId"] == self_ref
    ]
    assert sorted((r["FromPort"], r["ToPort"]) for r in rules) == [
        (2049, 2049),
        (2049, 2049),
        (8192, 65535),
        (8192, 65535),
    ]
    for rule in rules:
        assert rule.get("SourceSecurityGroupId", rule.get("DestinationSecurityGroupId")) == self_ref
    # The endpoints accept HTTPS from the Studio group only.
    endpoint_rules = [
        r["Properties"]
        for r in _studio_own(template, "AWS::EC2::SecurityGroupIngress").values()
        if r["Properties"]["GroupId"] != self_ref
    ]
    assert [(r["FromPort"], r["SourceSecurityGroupId"]) for r in endpoint_rules] == [(443, self_ref)]


def test_given_an_imported_vpc_in_the_config_then_no_vpc_is_created_and_its_groups_are_used(
    tmp_path: Path,
) -> None:
    from sagemaker_platform.config import parse_config
    from sagemaker_platform.stacks.studio import StudioStack

    config = parse_config(
        {
            "studio": {
                "users": ["alice"],
                "vpc": {
                    "vpc_id": "vpc-0123456789abcdef0",
                    "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                    "security_group_ids": ["sg-0123456789abcdef0"],
                },
            }
        }
    )
    assert config.studio is not None
    app = cdk.App(outdir=str(tmp_path))
    StudioStack(app, "Studio", config=config, studio=config.studio)
    template = app.synth().get_stack_by_name("Studio").template
    assert resources_of_type(template, "AWS::EC2::VPC") == {}
    assert resources_of_type(template, "AWS::EC2::VPCEndpoint") == {}
    assert resources_of_type(template, "AWS::EC2::SecurityGroup") == {}
    domain = one(template, "AWS::SageMaker::Domain")["Properties"]
    assert domain["VpcId"] == "vpc-0123456789abcdef0"
    assert domain["SubnetIds"] == ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    assert domain["DomainSettings"]["SecurityGroupIds"] == ["sg-0123456789abcdef0"]


# --- key and roles ---------------------------------------------------------------------------------------


def test_given_the_domain_then_a_rotated_customer_managed_key_encrypts_its_file_system_and_volumes(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    (key_id, key), *_ = resources_of_type(template, "AWS::KMS::Key").items()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"
    assert one(template, "AWS::SageMaker::Domain")["Properties"]["KmsKeyId"] == {"Ref": key_id}


def all_policy_statements(templates: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        statement
        for template in templates.values()
        for kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy")
        for policy in resources_of_type(template, kind).values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_given_every_studio_role_then_none_has_a_full_access_policy_or_a_wildcard_action(
    default_templates: dict[str, dict[str, Any]], multi_account_templates: dict[str, dict[str, Any]]
) -> None:
    for templates in (default_templates, multi_account_templates):
        for template in templates.values():
            for role in resources_of_type(template, "AWS::IAM::Role").values():
                assert ANY_FULL_ACCESS not in json.dumps(role["Properties"].get("ManagedPolicyArns", []))
        for statement in all_policy_statements(templates):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not [a for a in actions if a == "*" or a.endswith(":*")], statement


def test_given_the_default_execution_role_then_its_sagemaker_permissions_are_scoped_to_this_domain(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    domain_id = next(iter(resources_of_type(template, "AWS::SageMaker::Domain")))
    role_id = next(
        k
        for k, r in resources_of_type(template, "AWS::IAM::Role").items()
        if "default execution role" in r["Properties"].get("Description", "")
    )
    policies = [
        p
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if p["Properties"].get("Roles") == [{"Ref": role_id}]
    ]
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        # Studio's own needs (domain, profiles, apps, spaces); the persona's platform permissions (registry,
        # endpoints) are checked by the actor journeys (tests/stacks/test_actor_journeys.py).
        studio_own = {*DOMAIN_DESCRIBE_ACTIONS, *PROFILE_DESCRIBE_ACTIONS, *APP_ACTIONS, *SPACE_ACTIONS}
        scoped = [a for a in actions if a in studio_own and a != "sagemaker:AddTags"]
        if scoped:
            assert domain_id in json.dumps(statement["Resource"]), statement
    trust = resources_of_type(template, "AWS::IAM::Role")[role_id]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "sagemaker.amazonaws.com"}


def test_given_grants_then_the_roles_get_only_the_bucket_prefixes(variant: dict[str, dict[str, Any]]) -> None:
    statements = json.dumps(all_policy_statements(variant))
    assert "/curated/*" in statements and "/scratch/bob/*" in statements


def test_given_a_user_without_own_role_when_granting_to_it_then_the_error_lists_who_has_one(tmp_path: Path) -> None:
    def grant(studio: StudioDomain) -> None:
        studio.grant_read_data(s3.Bucket(studio, "Data"), user="alice")

    with pytest.raises(KeyError, match=r"users with own_role: \['bob'\]"):
        build(tmp_path, users=[StudioUser("alice"), StudioUser("bob", own_role=True)], customize=grant)


# --- images ----------------------------------------------------------------------------------------------


def test_given_classic_images_then_the_arns_come_from_a_mapping_per_region_and_partition(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    mapping = template["Mappings"]["StudioImageAccounts"]
    assert set(mapping) == set(STUDIO_IMAGE_ACCOUNTS)
    assert set(PARTITION_REGIONS["aws-cn"]) <= set(mapping)  # both partitions where the images exist
    assert len(mapping) > 19  # the published sample had 19 regions
    settings = one(template, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]
    arn = settings["JupyterServerAppSettings"]["DefaultResourceSpec"]["SageMakerImageArn"]
    parts = arn["Fn::Join"][1]
    assert {"Ref": "AWS::Partition"} in parts
    assert {"Fn::FindInMap": ["StudioImageAccounts", {"Ref": "AWS::Region"}, "account"]} in parts
    assert parts[-1] == ":image/jupyter-server-3"
    assert settings["KernelGatewayAppSettings"]["DefaultResourceSpec"]["SageMakerImageArn"]["Fn::Join"][1][-1] == (
        ":image/datascience-1.0"
    )


def test_given_a_china_region_then_the_image_arn_uses_the_aws_cn_partition(tmp_path: Path) -> None:
    assembly, _ = build(tmp_path, classic_images=True, env=cdk.Environment(account="111111111111", region="cn-north-1"))
    template = assembly.get_stack_by_name("Studio").template
    arn = json.dumps(
        one(template, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["JupyterServerAppSettings"]
    )
    assert "arn:aws-cn:sagemaker:cn-north-1:" in arn or '"aws-cn"' in json.dumps(template) or "AWS::Partition" in arn


def test_given_a_region_without_the_images_then_synth_fails_listing_the_supported_ones(tmp_path: Path) -> None:
    with pytest.raises(
        PropsError,
        match=r"region 'ap-southeast-4' has no SageMaker Studio Classic images; supported regions: af-south-1,.*,"
        r" us-west-2",
    ):
        build(tmp_path, classic_images=True, env=cdk.Environment(account="111111111111", region="ap-southeast-4"))


def test_given_no_classic_images_then_studio_keeps_its_own_default_image(tmp_path: Path) -> None:
    assembly, _ = build(tmp_path, env=cdk.Environment(account="111111111111", region="ap-southeast-4"))
    template = assembly.get_stack_by_name("Studio").template
    settings = one(template, "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]
    assert "JupyterServerAppSettings" not in settings and "KernelGatewayAppSettings" not in settings
    assert "SageMakerImageArn" not in json.dumps(settings)
    assert "Mappings" not in template


# --- user settings ---------------------------------------------------------------------------------------


def test_given_idle_shutdown_minutes_then_jupyterlab_apps_shut_down_when_idle(
    default_templates: dict[str, dict[str, Any]], variant: dict[str, dict[str, Any]]
) -> None:
    domain = one(default_templates[STUDIO], "AWS::SageMaker::Domain")["Properties"]
    for settings in (domain["DefaultUserSettings"], domain["DefaultSpaceSettings"]):
        idle = settings["JupyterLabAppSettings"]["AppLifecycleManagement"]["IdleSettings"]
        assert idle["LifecycleManagement"] == "ENABLED" and idle["IdleTimeoutInMinutes"] == 60
    off = one(variant["Studio"], "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]
    assert "AppLifecycleManagement" not in off["JupyterLabAppSettings"]


def test_given_sharing_off_by_default_then_notebook_output_sharing_is_disabled(
    default_templates: dict[str, dict[str, Any]], variant: dict[str, dict[str, Any]]
) -> None:
    domain = one(default_templates[STUDIO], "AWS::SageMaker::Domain")["Properties"]
    assert domain["DefaultUserSettings"]["SharingSettings"] == {"NotebookOutputOption": "Disabled"}
    sharing = one(variant["Studio"], "AWS::SageMaker::Domain")["Properties"]["DefaultUserSettings"]["SharingSettings"]
    assert sharing["NotebookOutputOption"] == "Allowed" and "S3KmsKeyId" in sharing


def test_given_sso_then_profiles_carry_the_identity_center_user_name(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    domain = one(multi_account_templates[STUDIO], "AWS::SageMaker::Domain")["Properties"]
    assert domain["AuthMode"] == "SSO"
    profiles = {
        p["Properties"]["UserProfileName"]: p["Properties"]
        for t in multi_account_templates.values()
        for p in resources_of_type(t, "AWS::SageMaker::UserProfile").values()
    }
    assert profiles["alice"]["SingleSignOnUserIdentifier"] == "UserName"
    assert profiles["alice"]["SingleSignOnUserValue"] == "alice@example.com"
    assert profiles["bob"]["SingleSignOnUserValue"] == "bob@example.com"
    assert "Rolebob" in json.dumps(profiles["bob"]["UserSettings"]["ExecutionRole"])  # bob's own role


def test_given_iam_auth_then_profiles_have_no_sso_values(default_templates: dict[str, dict[str, Any]]) -> None:
    profiles = [
        p for t in default_templates.values() for p in resources_of_type(t, "AWS::SageMaker::UserProfile").values()
    ]
    assert len(profiles) == 2
    assert all("SingleSignOnUserValue" not in p["Properties"] for p in profiles)


# --- removal and teardown --------------------------------------------------------------------------------


def test_given_retain_then_the_domain_and_profiles_are_kept_and_nothing_tears_them_down(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    assert one(template, "AWS::SageMaker::Domain")["DeletionPolicy"] == "Retain"
    assert "Custom::StudioDomainTeardown" not in {r["Type"] for r in template["Resources"].values()}
    for t in default_templates.values():
        for profile in resources_of_type(t, "AWS::SageMaker::UserProfile").values():
            assert profile["DeletionPolicy"] == "Retain"
    # The retained domain keeps the network it runs in (its EFS mount targets and ENIs would block deletion).
    kept = ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::EC2::VPCEndpoint")
    for kind in kept:
        assert {r.get("DeletionPolicy") for r in _studio_own(template, kind).values()} == {"Retain"}, kind
    # ... and the execution roles its settings and profiles name.
    roles = resources_of_type(template, "AWS::IAM::Role")
    (execution,) = [r for r in roles.values() if "default execution role" in r["Properties"].get("Description", "")]
    assert execution["DeletionPolicy"] == "Retain"


def test_given_destroy_then_the_teardown_runs_before_the_profiles_stacks_and_the_domain_are_deleted(
    variant: dict[str, dict[str, Any]],
) -> None:
    template = variant["Studio"]
    domain_id, domain = next(iter(resources_of_type(template, "AWS::SageMaker::Domain").items()))
    assert domain["DeletionPolicy"] == "Delete"
    assert "DeletionPolicy" not in one(template, "AWS::EC2::VPC")  # deleted after the NFS groups are gone
    (teardown,) = resources_of_type(template, "Custom::StudioDomainTeardown").values()
    props = teardown["Properties"]
    assert props["Kind"] == "DomainTeardown"
    assert props["HomeEfsFileSystemId"] == {"Fn::GetAtt": [domain_id, "HomeEfsFileSystemId"]}
    shards = set(resources_of_type(template, "AWS::CloudFormation::Stack"))
    assert len(shards) == 2  # alice's and bob's: a shard exists only while it holds a user
    assert shards | {domain_id} <= set(teardown["DependsOn"])
    # ... and after the policies it runs under, so that they are still there while it deletes.
    policies = {k for k, p in resources_of_type(template, "AWS::IAM::ManagedPolicy").items() if "Teardown" in k}
    assert policies and policies <= set(teardown["DependsOn"])


def test_given_the_provider_then_it_polls_is_complete_for_at_least_an_hour(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates[STUDIO]
    machine = one(template, "AWS::StepFunctions::StateMachine")["Properties"]
    definition = json.dumps(machine["DefinitionString"])
    assert '\\"IntervalSeconds\\":30' in definition and '\\"MaxAttempts\\":240' in definition  # 2 hours
    functions = [
        f["Properties"]
        for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if "STUDIO_TEARDOWN_PHASE" in json.dumps(f["Properties"].get("Environment", {}))
    ]
    assert sorted(f["Environment"]["Variables"]["STUDIO_TEARDOWN_PHASE"] for f in functions) == [
        "is_complete",
        "on_event",
    ]
    assert all(f["Runtime"] == "python3.14" and f["ReservedConcurrentExecutions"] == 10 for f in functions)


def test_given_the_teardown_role_then_it_deletes_only_this_domains_file_system_and_groups_in_its_vpc(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    statements = all_policy_statements({"s": default_templates[STUDIO]})
    efs = [s for s in statements if "elasticfilesystem:DeleteFileSystem" in s["Action"]]
    assert efs and all(
        "aws:ResourceTag/ManagedByAmazonSageMakerResource" in s["Condition"]["StringEquals"] for s in efs
    )
    groups = [s for s in statements if "ec2:DeleteSecurityGroup" in s["Action"]]
    assert groups and all("ec2:Vpc" in s["Condition"]["StringEquals"] for s in groups)


# --- profiles at scale -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_given_2000_users_then_no_stack_exceeds_500_resources_or_1_mb(tmp_path_factory: pytest.TempPathFactory) -> None:
    users = [StudioUser(f"user-{index:04d}", own_role=index % 10 == 0) for index in range(2000)]
    assembly, _ = build(tmp_path_factory.mktemp("scale"), users=users)
    templates = templates_of(assembly)
    assert len(profiles_by_stack(templates)) == 2000
    for name, template in templates.items():
        assert len(template["Resources"]) <= 500, name
    for file in Path(assembly.directory).glob("*.template.json"):
        assert file.stat().st_size < 1_000_000, file.name


def test_given_a_user_removed_then_no_other_profile_moves_to_another_stack_or_logical_id(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    users = [StudioUser(f"user-{index:02d}") for index in range(40)]
    before, _ = build(tmp_path_factory.mktemp("before"), users=users)
    after, _ = build(tmp_path_factory.mktemp("after"), users=[u for u in users if u.name != "user-17"])
    placed_before = profiles_by_stack(templates_of(before))
    placed_after = profiles_by_stack(templates_of(after))
    assert set(placed_before) - set(placed_after) == {"user-17"}
    assert {name: placed_before[name] for name in placed_after} == placed_after
    # ... and the domain's profile cleanup sees it go.
    (cleanup,) = resources_of_type(templates_of(after)["Studio"], "Custom::StudioProfileCleanup").values()
    assert "user-17" not in cleanup["Properties"]["UserProfileNames"]


def test_profile_shard_is_pinned_because_changing_it_would_move_every_deployed_profile() -> None:
    # Pinned values: a new hash or shard formula would move existing users to other nested stacks (replacing them).
    assert [profile_shard(name, 16) for name in ("alice", "bob", "carol")] == [15, 10, 14]
    assert {profile_shard(f"user-{i}", 16) for i in range(200)} == set(range(16))


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"users": [StudioUser("al ice")]}, "'al ice' does not match SageMaker's UserProfileName pattern"),
        ({"users": [StudioUser("bob"), StudioUser("bob")]}, "'bob' appears more than once"),
        ({"idle_shutdown_minutes": 5}, "idle_shutdown_minutes=5: allowed: 60 to 525600"),
        ({"profile_shards": 0}, "profile_shards=0: allowed: 1 to 64"),
        ({"auth_mode": "LDAP"}, "auth_mode='LDAP': allowed: 'IAM', 'SSO'"),
    ],
)
def test_given_bad_props_then_one_error_names_each_prop_and_what_is_allowed(
    tmp_path: Path, props: dict[str, Any], message: str
) -> None:
    with pytest.raises(PropsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(tmp_path, **props)


def test_given_more_users_than_the_shards_hold_then_synth_says_to_raise_the_shard_count(tmp_path: Path) -> None:
    users = [StudioUser(f"user-{index}", own_role=True) for index in range(400)]
    with pytest.raises(PropsError, match="raise profile_shards before the first deployment"):
        build(tmp_path, users=users, profile_shards=2)


def test_given_a_vpc_without_studio_endpoints_then_subnets_are_selected_from_it(tmp_path: Path) -> None:
    def make_vpc(scope: cdk.Stack) -> ec2.IVpc:
        return ec2.Vpc(scope, "Shared", max_azs=2)

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Studio")
    vpc = make_vpc(stack)
    StudioDomain(
        stack,
        "Studio",
        domain_name="research",
        vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
    )
    template = app.synth().get_stack_by_name("Studio").template
    assert resources_of_type(template, "AWS::EC2::VPCEndpoint") == {}
    subnets = one(template, "AWS::SageMaker::Domain")["Properties"]["SubnetIds"]
    assert all("PrivateSubnet" in s["Ref"] for s in subnets)


def test_given_names_that_differ_only_by_hyphens_then_their_logical_ids_differ(tmp_path: Path) -> None:
    users = [StudioUser("jo-ann", own_role=True), StudioUser("joann", own_role=True)]
    assembly, _ = build(tmp_path, users=users, profile_shards=1)
    placed = profiles_by_stack(templates_of(assembly))
    assert placed["jo-ann"][1] != placed["joann"][1]


def test_given_a_key_of_the_callers_then_the_domain_uses_it_and_logs_get_a_key_of_their_own(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Studio")
    key = kms.Key.from_key_arn(
        stack, "Given", "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    StudioDomain(stack, "Studio", domain_name="research", key=key)
    template = app.synth().get_stack_by_name("Studio").template
    domain = one(template, "AWS::SageMaker::Domain")["Properties"]
    assert domain["KmsKeyId"] == "1234abcd-12ab-34cd-56ef-1234567890ab"
    (ops_key_id,) = resources_of_type(template, "AWS::KMS::Key")
    for log_group in resources_of_type(template, "AWS::Logs::LogGroup").values():
        assert log_group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [ops_key_id, "Arn"]}
