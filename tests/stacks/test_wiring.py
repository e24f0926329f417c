"""The capabilities together: each contract between two stacks checked on the synthesized reference app.

- The endpoint execution roles the registry grants are the ones the hosting stacks create.
- The `<name>-deploy` role allows every AWS call the deploy pipeline's endpoint step makes with it (read
  from the handler source), on the resources it makes them on.
- Async endpoints served by the gateway report to the gateway's bucket and topic, and both sides allow it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sagemaker_platform import naming
from sagemaker_platform.assets import handler_dir
from tests.registry_helpers import text
from tests.support import ACCOUNTS, resources_of_type
from tests.wiring_helpers import (
    allows,
    as_list,
    attached_statements,
    function_calls,
    iam_action,
    module_calls,
    principal_allowed,
    reachable_functions,
    resource_policy_allows,
)

P = "mlplatform"
SANDBOX = {"account": "<AWS::AccountId>", "region": "<AWS::Region>", "registry": "<AWS::AccountId>"}
MULTI = {"region": "eu-west-1", "registry": ACCOUNTS["registry"]}
DEPLOYER = handler_dir("deploy_handlers") / "deployer"


def is_hosting(template_name: str, stage: str) -> bool:
    """The stage's hosting stack or one of its nested stacks (also inside a delivery pipeline stage)."""
    return f"{P}hosting{stage}" in template_name.replace("-", "")


def roles_by_name(template: dict[str, Any]) -> dict[str, str]:
    """Role name -> logical ID."""
    return {
        r["Properties"]["RoleName"]: logical_id
        for logical_id, r in resources_of_type(template, "AWS::IAM::Role").items()
        if isinstance(r["Properties"].get("RoleName"), str)
    }


def identity_statements(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in resources_of_type(template, "AWS::IAM::ManagedPolicy").values():
        if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
            found.extend(as_list(policy["Properties"]["PolicyDocument"]["Statement"]))
    return found


def role_statements(template: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return identity_statements(template, roles_by_name(template)[name])


def arn(partition_free: str) -> str:
    return f"arn:<AWS::Partition>:{partition_free}"


# --- endpoint execution roles: hosting creates them, the registry grants them ----------------------


def endpoint_roles_granted_by_registry(template: dict[str, Any]) -> set[str]:
    granted = set()
    for group in resources_of_type(template, "AWS::SageMaker::ModelPackageGroup").values():
        for statement in as_list(group["Properties"]["ModelPackageGroupPolicy"]["Statement"]):
            for principal in as_list(statement["Principal"]["AWS"]):
                if f":role/{naming.endpoint_role_name_prefix(P)}" in text(principal):
                    granted.add(text(principal))
    return granted


def endpoint_roles_created_by_hosting(templates: dict[str, dict[str, Any]], account_of: dict[str, str]) -> set[str]:
    created = set()
    for name, template in templates.items():
        stage = next((s for s in naming.STAGES if is_hosting(name, s)), None)
        if stage is None:
            continue
        for role in roles_by_name(template):
            if role.startswith(naming.endpoint_role_name_prefix(P)):
                created.add(naming.role_arn("<AWS::Partition>", account_of[stage], role))
    return created


def test_given_the_sandbox_then_the_registry_grants_exactly_the_endpoint_roles_of_both_hosting_stages(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    # churn-async is fed by the churn group: both stages' roles, in the one account.
    created = endpoint_roles_created_by_hosting(default_templates, {s: "<AWS::AccountId>" for s in naming.STAGES})
    assert created == {
        naming.role_arn("<AWS::Partition>", "<AWS::AccountId>", naming.endpoint_role_name(P, "churn-async", stage))
        for stage in naming.STAGES
    }
    assert endpoint_roles_granted_by_registry(default_templates["mlplatform-registry"]) == created


def test_given_accounts_then_each_stages_endpoint_roles_are_granted_in_that_stages_account(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    created = endpoint_roles_created_by_hosting(multi_account_templates, {s: ACCOUNTS[s] for s in naming.STAGES})
    granted = endpoint_roles_granted_by_registry(multi_account_templates["mlplatform-registry"])
    # Every role the registry names exists (a policy naming a missing role fails to deploy) ...
    assert granted <= created
    # ... and every endpoint fed by a group (churn-async, churn-realtime) or pinned to a version of one
    # (fraud-realtime) can read the registry in both stages.
    assert granted == {
        naming.role_arn("<AWS::Partition>", ACCOUNTS[stage], naming.endpoint_role_name(P, endpoint, stage))
        for endpoint in ("churn-async", "churn-realtime", "fraud-realtime")
        for stage in naming.STAGES
    }


# --- the deploy role allows every call of the endpoint step -------------------------------------

# Parameters of endpoint.py's helpers that receive the deploy role's clients.
ENDPOINT_STEP_CLIENTS = {"sagemaker": "sagemaker", "ssm": "ssm", "autoscaling": "application-autoscaling"}


def endpoint_step_actions() -> dict[str, set[str]]:
    """IAM action -> the boto3 operations of endpoint.py that need it (every call there uses the deploy role)."""
    actions: dict[str, set[str]] = {}
    for service, operation, _ in module_calls(DEPLOYER / "endpoint.py", ENDPOINT_STEP_CLIENTS):
        actions.setdefault(iam_action(service, operation), set()).add(operation)
    return actions


def test_the_endpoint_step_source_is_read_completely() -> None:
    """Guards the extraction itself: the calls the deploy contract is about are all found."""
    assert {
        "sagemaker:DescribeModelPackage",
        "sagemaker:CreateModel",
        "sagemaker:CreateEndpointConfig",
        "sagemaker:CreateEndpoint",
        "sagemaker:UpdateEndpoint",
        "sagemaker:InvokeEndpoint",
        "ssm:GetParameter",
        "application-autoscaling:RegisterScalableTarget",
        "cloudwatch:PutMetricAlarm",
    } <= set(endpoint_step_actions())


def deploy_requests(env: dict[str, str], stage: naming.Stage) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """IAM action -> the (resource, request context) pairs one deployment of churn-async needs it on."""
    account, region, registry = env["account"], env["region"], env["registry"]
    endpoint = naming.endpoint_name(P, "churn-async", stage)
    generated = f"{endpoint}-v3-0123456789"
    sm = f"sagemaker:{region}:{account}"
    package = arn(f"sagemaker:{region}:{registry}:model-package/churn/3")
    parameter = naming.deployment_spec_parameter_name(P, "churn-async", stage).lstrip("/")
    alarm = arn(f"cloudwatch:{region}:{account}:alarm:{endpoint}-backlog-without-capacity")
    via_sagemaker = {
        "kms:ViaService": f"sagemaker.{region}.<AWS::URLSuffix>",
        "kms:ResourceAliases": [naming.hosting_key_alias(P, stage)],
    }
    key = arn(f"kms:{region}:{account}:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    return {
        "ssm:GetParameter": [(arn(f"ssm:{region}:{account}:parameter/{parameter}"), {})],
        "sagemaker:DescribeModelPackage": [(package, {})],
        # CreateModel from a registry version: on the model and on the version (cross-account).
        "sagemaker:CreateModel": [(arn(f"{sm}:model/{generated}"), {}), (package, {})],
        "sagemaker:CreateEndpointConfig": [(arn(f"{sm}:endpoint-config/{generated}"), {})],
        "sagemaker:DescribeEndpointConfig": [(arn(f"{sm}:endpoint-config/{generated}"), {})],
        **{
            f"sagemaker:{op}": [(arn(f"{sm}:endpoint/{endpoint}"), {})]
            for op in ("CreateEndpoint", "DescribeEndpoint", "UpdateEndpoint", "DeleteEndpoint", "InvokeEndpoint")
        },
        **{
            f"application-autoscaling:{op}": [
                (
                    "*",
                    {
                        "application-autoscaling:service-namespace": "sagemaker",
                        "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount",
                    },
                )
            ]
            for op in ("RegisterScalableTarget", "PutScalingPolicy", "DeleteScalingPolicy", "DeregisterScalableTarget")
        },
        "application-autoscaling:DescribeScalableTargets": [("*", {})],
        "application-autoscaling:DescribeScalingPolicies": [("*", {})],
        "cloudwatch:PutMetricAlarm": [(alarm, {})],
        # Implied by the calls: CreateModel passes the endpoint's role; CreateEndpointConfig with the spec's
        # kms_key_arn has SageMaker describe the key and grant itself its use, as the caller.
        "iam:PassRole": [
            (
                naming.role_arn("<AWS::Partition>", account, naming.endpoint_role_name(P, "churn-async", stage)),
                {"iam:PassedToService": "sagemaker.amazonaws.com"},
            )
        ],
        "kms:DescribeKey": [(key, via_sagemaker)],
        "kms:CreateGrant": [(key, {**via_sagemaker, "kms:GrantIsForAWSResource": "true"})],
    }


IMPLIED = {"iam:PassRole", "kms:DescribeKey", "kms:CreateGrant"}


@pytest.mark.parametrize(
    ("templates_fixture", "stack", "stage"),
    [
        ("default_templates", "mlplatform-workload-access", "staging"),
        ("default_templates", "mlplatform-workload-access", "prod"),
        ("multi_account_templates", "mlplatform-workload-access-staging", "staging"),
        ("multi_account_templates", "mlplatform-workload-access-prod", "prod"),
    ],
)
def test_the_deploy_role_allows_every_call_of_the_endpoint_step(
    request: pytest.FixtureRequest, templates_fixture: str, stack: str, stage: naming.Stage
) -> None:
    templates = request.getfixturevalue(templates_fixture)
    env = SANDBOX if templates_fixture == "default_templates" else {**MULTI, "account": ACCOUNTS[stage]}
    statements = role_statements(templates[stack], naming.deploy_role_name(P))
    needed = deploy_requests(env, stage)
    called = endpoint_step_actions()
    # Every call of the handler is covered by the table above (a new call must be added there) ...
    assert set(called) <= set(needed), sorted(set(called) - set(needed))
    assert set(needed) - set(called) == IMPLIED
    # ... and the role allows each one, on its resource, with the context the request carries.
    refused = [
        (action, resource)
        for action, requests in needed.items()
        for resource, context in requests
        if not allows(statements, action, resource, context)
    ]
    assert refused == []


def test_the_deploy_roles_key_grant_holds_only_through_sagemaker_for_aws_resources_on_the_hosting_keys(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    statements = role_statements(multi_account_templates["mlplatform-workload-access-prod"], naming.deploy_role_name(P))
    key = arn(f"kms:eu-west-1:{ACCOUNTS['prod']}:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789")
    good = {
        "kms:ViaService": "sagemaker.eu-west-1.<AWS::URLSuffix>",
        "kms:ResourceAliases": [naming.hosting_key_alias(P, "prod")],
        "kms:GrantIsForAWSResource": "true",
    }
    assert allows(statements, "kms:CreateGrant", key, good)
    assert not allows(statements, "kms:CreateGrant", key, {**good, "kms:GrantIsForAWSResource": "false"})
    assert not allows(statements, "kms:CreateGrant", key, {**good, "kms:ViaService": "s3.eu-west-1.<AWS::URLSuffix>"})
    # The prod account's deploy role: not the staging key's alias (that key lives in the staging account).
    staging_alias = [naming.hosting_key_alias(P, "staging")]
    assert not allows(statements, "kms:CreateGrant", key, {**good, "kms:ResourceAliases": staging_alias})
    assert not allows(statements, "kms:Decrypt", key, good)


@pytest.mark.parametrize("stage", naming.STAGES)
def test_each_hosting_stage_names_its_key_by_the_alias_the_deploy_role_is_granted_on(
    default_templates: dict[str, dict[str, Any]], stage: str
) -> None:
    template = default_templates[f"mlplatform-hosting-{stage}"]
    (alias,) = resources_of_type(template, "AWS::KMS::Alias").values()
    assert alias["Properties"]["AliasName"] == naming.hosting_key_alias(P, stage)  # type: ignore[arg-type]
    target = alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
    key = resources_of_type(template, "AWS::KMS::Key")[target]
    # The shared key: the one whose ARN the specs carry as kms_key_arn (volumes, where the instance allows one).
    assert key["Properties"]["Description"].startswith("Endpoint volumes")
    assert key["DeletionPolicy"] == "Retain"


# --- gateway-served async endpoints report to the gateway ----------------------------------------


def published_specs(templates: dict[str, dict[str, Any]], stage: str) -> dict[str, dict[str, Any]]:
    """Endpoint name -> the deployment spec its hosting stack publishes (tokens as text)."""
    specs = {}
    for name, template in templates.items():
        if not is_hosting(name, stage):
            continue
        for parameter in resources_of_type(template, "AWS::SSM::Parameter").values():
            spec = json.loads(text(parameter["Properties"]["Value"]))
            specs[spec["endpoint_name"]] = spec
    return specs


def endpoint_role(templates: dict[str, dict[str, Any]], stage: str, endpoint: str) -> list[dict[str, Any]]:
    """The statements of the endpoint role's own policies and of those its hosting stack's roles share."""
    name = naming.endpoint_role_name(P, endpoint, stage)  # type: ignore[arg-type]
    if not any(is_hosting(n, stage) and name in roles_by_name(t) for n, t in templates.items()):
        raise AssertionError(f"no role {name}")
    return attached_statements(templates, name)


def test_given_the_sandbox_then_the_prod_async_endpoint_the_gateway_serves_reports_to_the_gateway(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    account, region = "<AWS::AccountId>", "<AWS::Region>"
    output_bucket = naming.gateway_output_bucket_name(P, account, region)
    input_bucket = naming.gateway_input_bucket_name(P, account, region)
    topic = arn(f"sns:{region}:{account}:{naming.gateway_completion_topic_name(P)}")
    endpoint = naming.endpoint_name(P, "churn-async", "prod")
    spec = published_specs(default_templates, "prod")[endpoint]
    output = spec["async_inference_config"]["OutputConfig"]
    assert output["S3OutputPath"] == f"s3://{output_bucket}/async/{endpoint}/output"
    assert output["S3FailurePath"] == f"s3://{output_bucket}/async/{endpoint}/failure"
    assert output["NotificationConfig"] == {"SuccessTopic": topic, "ErrorTopic": topic}
    assert output["KmsKeyId"] == arn(f"kms:{region}:{account}:{naming.gateway_key_alias(P)}")

    # The endpoint's role may read the gateway's inputs, write the outputs, publish, and use the gateway key.
    statements = endpoint_role(default_templates, "prod", "churn-async")
    via = {"kms:ResourceAliases": [naming.gateway_key_alias(P)]}
    key = arn(f"kms:{region}:{account}:key/0a1b2c3d")
    assert allows(statements, "s3:GetObject", arn(f"s3:::{input_bucket}/inputs/p-1/payload"))
    assert allows(statements, "s3:PutObject", arn(f"s3:::{output_bucket}/async/{endpoint}/output/p-1.out"))
    assert allows(statements, "s3:PutObject", arn(f"s3:::{output_bucket}/async/{endpoint}/failure/p-1.out"))
    assert not allows(statements, "s3:PutObject", arn(f"s3:::{output_bucket}/outputs/p-1"))
    assert allows(statements, "sns:Publish", topic)
    for service in ("s3", "sns"):
        context = {**via, "kms:ViaService": f"{service}.{region}.<AWS::URLSuffix>"}
        assert allows(statements, "kms:GenerateDataKey", key, context)
        assert allows(statements, "kms:Decrypt", key, context)
    assert not allows(statements, "kms:Decrypt", key, {**via, "kms:ViaService": f"lambda.{region}.<AWS::URLSuffix>"})

    # The gateway's side: these names are its bucket, topic and key alias, and their policies admit the role.
    gateway = default_templates["mlplatform-gateway"]
    role = naming.role_arn("<AWS::Partition>", account, naming.endpoint_role_name(P, "churn-async", "prod"))
    by_name = {
        text(r["Properties"]["BucketName"]): logical_id
        for logical_id, r in resources_of_type(gateway, "AWS::S3::Bucket").items()
        if "BucketName" in r["Properties"]
    }
    assert {input_bucket, output_bucket} <= set(by_name)
    (topic_resource,) = [
        (logical_id, r)
        for logical_id, r in resources_of_type(gateway, "AWS::SNS::Topic").items()
        if r["Properties"].get("TopicName") == naming.gateway_completion_topic_name(P)
    ]
    (alias,) = [
        r
        for r in resources_of_type(gateway, "AWS::KMS::Alias").values()
        if r["Properties"]["AliasName"] == naming.gateway_key_alias(P)
    ]
    topic_policy = [
        s
        for r in resources_of_type(gateway, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_resource[0]} in r["Properties"]["Topics"]
        for s in as_list(r["Properties"]["PolicyDocument"]["Statement"])
    ]
    assert any(
        s["Effect"] == "Allow" and "sns:Publish" in as_list(s["Action"]) and principal_allowed(s, role)
        for s in topic_policy
    )
    bucket_statements = {
        text(r["Properties"]["Bucket"]): as_list(r["Properties"]["PolicyDocument"]["Statement"])
        for r in resources_of_type(gateway, "AWS::S3::BucketPolicy").values()
    }
    for bucket, action, key_name in (
        (output_bucket, "s3:PutObject", f"async/{endpoint}/output/p-1.out"),
        (input_bucket, "s3:GetObject", "inputs/p-1/payload"),
    ):
        logical_id = by_name[bucket]
        statements_ = [s for s in bucket_statements[f"<{logical_id}>"] if principal_allowed(s, role)]
        assert allows(statements_, action, f"<{logical_id}.Arn>/{key_name}", {"aws:PrincipalArn": role})
    key_id = alias["Properties"]["TargetKeyId"]["Fn::GetAtt"][0]
    key_policy = as_list(resources_of_type(gateway, "AWS::KMS::Key")[key_id]["Properties"]["KeyPolicy"]["Statement"])
    admitted = [s for s in key_policy if principal_allowed(s, role)]
    context = {"aws:PrincipalArn": role, "kms:ViaService": f"sns.{region}.<AWS::URLSuffix>"}
    assert allows(admitted, "kms:GenerateDataKey", "*", context)


def test_given_the_sandbox_then_the_staging_endpoint_keeps_its_own_bucket_and_topics(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    endpoint = naming.endpoint_name(P, "churn-async", "staging")
    output = published_specs(default_templates, "staging")[endpoint]["async_inference_config"]["OutputConfig"]
    assert "gateway" not in output["S3OutputPath"]
    assert output["NotificationConfig"]["SuccessTopic"] != output["NotificationConfig"]["ErrorTopic"]
    statements = endpoint_role(default_templates, "staging", "churn-async")
    topic = arn(f"sns:<AWS::Region>:<AWS::AccountId>:{naming.gateway_completion_topic_name(P)}")
    assert not allows(statements, "sns:Publish", topic)


def test_given_accounts_then_the_prod_hosting_stack_routes_to_the_prod_accounts_gateway(
    multi_account_templates: dict[str, dict[str, Any]],
) -> None:
    account = ACCOUNTS["prod"]
    endpoint = naming.endpoint_name(P, "churn-async", "prod")
    specs = published_specs(multi_account_templates, "prod")
    output = specs[endpoint]["async_inference_config"]["OutputConfig"]
    bucket = naming.gateway_output_bucket_name(P, account, "eu-west-1")
    assert output["S3OutputPath"] == f"s3://{bucket}/async/{endpoint}/output"
    topic = arn(f"sns:eu-west-1:{account}:{naming.gateway_completion_topic_name(P)}")
    assert output["NotificationConfig"] == {"SuccessTopic": topic, "ErrorTopic": topic}
    # Only the endpoint a gateway service names: churn-realtime (real-time) has no async config at all.
    assert specs[naming.endpoint_name(P, "churn-realtime", "prod")]["async_inference_config"] is None


# --- the deploy pipeline reads the spec parameters the hosting stacks write -----------------------


def test_the_endpoint_step_reads_the_spec_parameter_each_hosting_stage_publishes(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    functions = resources_of_type(default_templates["mlplatform-deploy"], "AWS::Lambda::Function").values()
    (template,) = [
        f["Properties"]["Environment"]["Variables"]["SPEC_PARAMETER_TEMPLATE"]
        for f in functions
        if "SPEC_PARAMETER_TEMPLATE" in f["Properties"]["Environment"]["Variables"]
    ]
    for stage in naming.STAGES:
        published = {
            p["Properties"]["Name"]
            for name, t in default_templates.items()
            if is_hosting(name, stage)
            for p in resources_of_type(t, "AWS::SSM::Parameter").values()
        }
        # The step's `endpoint` is the `endpoints` entry's name (deploy.groups[].endpoints).
        assert template.format(endpoint="churn-async", stage=stage) in published


# --- the tuning register step registers through the pipeline-step role ----------------------------

TUNING_REGISTRY_CALLS = {
    # boto3 method of the registry session -> (IAM action, resource, request context)
    "upload_fileobj": "s3:PutObject",
    "put_object": "s3:PutObject",
    "create_model_package": "sagemaker:CreateModelPackage",
}


def registry_session_calls() -> set[str]:
    """The boto3 methods tuning_register calls with the registry session (clients named registry_*)."""
    import ast

    tree = ast.parse((handler_dir("tuning_register") / "index.py").read_text())
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id.startswith("registry_")
    }


def test_the_pipeline_step_role_trusts_the_register_role_and_allows_what_it_registers_with(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    account, region = "<AWS::AccountId>", "<AWS::Region>"
    assert registry_session_calls() == set(TUNING_REGISTRY_CALLS)
    step_name, register_name = naming.pipeline_step_role_name(P), naming.tuning_register_role_name(P)
    step_arn = naming.role_arn("<AWS::Partition>", account, step_name)
    register = role_statements(default_templates["mlplatform-tuning"], register_name)
    assert allows(register, "sts:AssumeRole", step_arn)

    workload = default_templates["mlplatform-workload-access"]
    step_id = roles_by_name(workload)[step_name]
    trust = as_list(resources_of_type(workload, "AWS::IAM::Role")[step_id]["Properties"]["AssumeRolePolicyDocument"])
    trusted = [
        text(p)
        for document in trust
        for s in as_list(document["Statement"])
        for p in as_list(s["Principal"].get("AWS", []))
    ]
    assert trusted == [naming.role_arn("<AWS::Partition>", account, register_name)]

    step = identity_statements(workload, step_id)
    bucket = naming.model_artifacts_bucket_name(P, account, region)
    job = "churn-hpo-20260101"
    via_s3 = {
        "kms:ViaService": f"s3.{region}.<AWS::URLSuffix>",
        "kms:ResourceAliases": [naming.model_artifacts_key_alias(P)],
    }
    key = arn(f"kms:{region}:{account}:key/0a1b2c3d")
    group = arn(f"sagemaker:{region}:{account}:model-package-group/churn")
    pending = {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    for method, action in TUNING_REGISTRY_CALLS.items():
        if action == "s3:PutObject":
            for name in ("model.tar.gz", "metrics.json"):
                assert allows(step, action, arn(f"s3:::{bucket}/churn/{job}/{name}")), method
        else:
            assert allows(step, action, group, pending), method
            assert not allows(step, action, group, {"sagemaker:ModelApprovalStatus": "Approved"}), method
    # Multipart upload of the model, and the registry bucket's key through S3 only. In the sandbox the key's own
    # policy grants it (no account-root statement there, so an identity statement would grant nothing): the role
    # carries no key statement, and the key policy names it.
    assert allows(step, "s3:AbortMultipartUpload", arn(f"s3:::{bucket}/churn/{job}/model.tar.gz"))
    assert not allows(step, "kms:GenerateDataKey", key, via_s3)
    (key_resource,) = [
        k
        for logical_id, k in resources_of_type(default_templates["mlplatform-registry"], "AWS::KMS::Key").items()
        if logical_id.startswith("RegistryArtifactsKey")
    ]
    key_policy = as_list(key_resource["Properties"]["KeyPolicy"]["Statement"])
    assert not any(":root" in json.dumps(s.get("Principal", {})) for s in key_policy)
    through_s3 = {"kms:ViaService": via_s3["kms:ViaService"], "kms:EncryptionContext:aws:s3:arn": arn(f"s3:::{bucket}")}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert resource_policy_allows(key_policy, step_arn, action, key, through_s3), action
    assert not resource_policy_allows(
        key_policy, step_arn, "kms:Decrypt", key, {**through_s3, "kms:ViaService": f"sqs.{region}.<AWS::URLSuffix>"}
    )


# --- the tooling-account functions of the deploy pipeline allow the calls they make ----------------

# A handler module's calls that its function makes only under another DEPLOY_TARGET (start.py dispatches).
TARGET_ONLY_MODULES = {"state-machine": {"triggers"}, "gitlab": set(), "mwaa": set()}


def tooling_calls(handler: str, target: str | None) -> set[str]:
    """IAM actions of the calls reachable from `deployer.<handler>.handler`, made with the function's own role.

    endpoint.py's calls are the deploy role's (the test above); its `aws.assume_role` is the function's.
    """
    reachable = reachable_functions(DEPLOYER, handler)
    skipped = {"endpoint"} | (TARGET_ONLY_MODULES.get(target or "", set()))
    actions = set()
    for module in {m for m, _ in reachable} - skipped:
        for function, service, operation, _ in function_calls(DEPLOYER / f"{module}.py", {"api": "dynamodb"}):
            if (module, function) in reachable:
                actions.add(iam_action(service, operation))
    return actions


def test_every_deploy_pipeline_function_role_allows_the_calls_its_handler_makes(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates["mlplatform-deploy"]
    checked = {}
    for function in resources_of_type(template, "AWS::Lambda::Function").values():
        variables = function["Properties"].get("Environment", {}).get("Variables", {})
        if "DEPLOY_HANDLER" not in variables:
            continue
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = identity_statements(template, role_id)
        needed = tooling_calls(variables["DEPLOY_HANDLER"], variables.get("DEPLOY_TARGET"))
        assert needed, variables["DEPLOY_HANDLER"]  # every handler calls AWS: an empty set means a blind extraction
        refused = sorted(
            a for a in needed if not any(allows([s], a, text(r)) for s in statements for r in as_list(s["Resource"]))
        )
        checked[variables["DEPLOY_HANDLER"]] = refused
    assert set(checked) >= {"start", "reject", "endpoint", "approval", "record"}
    assert checked == {handler: [] for handler in checked}


def test_the_endpoint_step_reaches_the_deploy_roles_only_through_the_pipeline_role(
    default_templates: dict[str, dict[str, Any]],
) -> None:
    template = default_templates["mlplatform-deploy"]
    (function,) = [
        f["Properties"]
        for f in resources_of_type(template, "AWS::Lambda::Function").values()
        if f["Properties"].get("Environment", {}).get("Variables", {}).get("DEPLOY_HANDLER") == "endpoint"
    ]
    pipeline = naming.role_arn("<AWS::Partition>", "<AWS::AccountId>", naming.deploy_pipeline_role_name(P))
    deploy = naming.role_arn("<AWS::Partition>", "<AWS::AccountId>", naming.deploy_role_name(P))
    own = identity_statements(template, function["Role"]["Fn::GetAtt"][0])
    assert tooling_calls("endpoint", None) == {"sts:AssumeRole"}
    # The pipeline role lives in its own stack (deployed first); the step names it by its fixed ARN.
    assert [text(r) for s in own if "sts:AssumeRole" in as_list(s["Action"]) for r in as_list(s["Resource"])] == [
        pipeline
    ]
    identity = default_templates["mlplatform-deploy-identity"]
    pipeline_id = roles_by_name(identity)[naming.deploy_pipeline_role_name(P)]
    assert allows(identity_statements(identity, pipeline_id), "sts:AssumeRole", deploy)
    # The deploy role trusts exactly that pipeline role.
    workload = default_templates["mlplatform-workload-access"]
    deploy_role = resources_of_type(workload, "AWS::IAM::Role")[roles_by_name(workload)[naming.deploy_role_name(P)]]
    trust = as_list(deploy_role["Properties"]["AssumeRolePolicyDocument"]["Statement"])
    assert [text(p) for s in trust for p in as_list(s["Principal"]["AWS"])] == [pipeline]


# --- endpoints fed by the registry read its artifacts (identity side; the registry's side is above) ------


@pytest.mark.parametrize("stage", naming.STAGES)
def test_given_accounts_then_registry_fed_endpoint_roles_may_read_and_decrypt_the_registry_artifacts(
    multi_account_templates: dict[str, dict[str, Any]], stage: str
) -> None:
    registry, region = ACCOUNTS["registry"], "eu-west-1"
    bucket = naming.model_artifacts_bucket_name(P, registry, region)
    key = arn(f"kms:{region}:{registry}:key/0a1b2c3d")
    via_s3 = {
        "kms:ViaService": f"s3.{region}.<AWS::URLSuffix>",
        "kms:ResourceAliases": [naming.model_artifacts_key_alias(P)],
    }
    for endpoint in ("churn-async", "churn-realtime"):
        statements = endpoint_role(multi_account_templates, stage, endpoint)
        assert allows(statements, "s3:GetObject", arn(f"s3:::{bucket}/churn/churn-hpo-1/model.tar.gz")), endpoint
        assert allows(statements, "kms:Decrypt", key, via_s3), endpoint
        assert not allows(statements, "kms:Decrypt", key, {**via_s3, "kms:ResourceAliases": ["alias/other"]})
