"""Journeys through the reference app's network (cdk.json: `network.functions.vpc: studio`): every Lambda function
runs in the Studio VPC, and every AWS service its role lets it call is reachable from its subnets, through an
endpoint whose security group admits the function's group, which in turn sends only HTTPS, only to them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sagemaker_platform
from sagemaker_platform.constructs.studio.teardown import lifecycle_services
from sagemaker_platform.stacks.network import FUNCTION_SERVICES
from tests.network_helpers import (
    GATEWAY_SERVICES,
    Ref,
    Templates,
    allows_https,
    as_list,
    called_services,
    functions,
    refs_in,
    resolve,
    resource,
    role_statements,
    security_group_rules,
    vpc_endpoints,
)

STUDIO = "mlplatform-studio"


@pytest.fixture(scope="module")
def templates(default_templates: Templates) -> Templates:
    """What `cdk synth` wrote for cdk.json (the session's CLI run, shared by every test process)."""
    return default_templates


def _placement(templates: Templates, function: Ref) -> tuple[Ref, list[Ref], list[Ref]]:
    """(VPC, subnets, security groups) of a function in a VPC."""
    config = resource(templates, function)["Properties"]["VpcConfig"]
    subnets = [resolve(templates, function[0], subnet) for subnet in config["SubnetIds"]]
    groups = [resolve(templates, function[0], group) for group in config["SecurityGroupIds"]]
    assert None not in subnets and None not in groups, f"{function}: subnets or groups not in the templates"
    vpcs = {resolve(templates, s[0], resource(templates, s)["Properties"]["VpcId"]) for s in subnets}  # type: ignore[index]
    assert len(vpcs) == 1, f"{function}: subnets in {vpcs}"
    return vpcs.pop(), subnets, groups  # type: ignore[return-value]


def _route_tables(templates: Templates, subnets: list[Ref]) -> set[Ref | None]:
    return {
        resolve(templates, stack, res["Properties"]["RouteTableId"])
        for stack, template in templates.items()
        for res in template.get("Resources", {}).values()
        if res["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
        and resolve(templates, stack, res["Properties"]["SubnetId"]) in subnets
    }


def _unreachable(templates: Templates, function: Ref) -> list[str]:
    """The services the function's role allows that its subnets and groups cannot reach, with an action each."""
    vpc, subnets, groups = _placement(templates, function)
    egress = [
        rule for group in groups for rule in security_group_rules(templates, group, "egress") if allows_https(rule[0])
    ]
    to_anywhere = any(rule.get("CidrIp") == "0.0.0.0/0" for rule, _ in egress)
    endpoints = list(vpc_endpoints(templates, vpc))
    tables = _route_tables(templates, subnets)
    problems = []
    for service, action in called_services(templates, function).items():
        found = [(ref, props) for ref, name, props in endpoints if name == service]
        if service in GATEWAY_SERVICES:
            ok = to_anywhere and any(
                tables <= {resolve(templates, ref[0], t) for t in props["RouteTableIds"]} for ref, props in found
            )
        else:
            endpoint_groups = {
                resolve(templates, ref[0], group) for ref, props in found for group in props["SecurityGroupIds"]
            }
            admitted = {
                group
                for group in endpoint_groups
                if any(
                    allows_https(rule) and peer in groups
                    for rule, peer in security_group_rules(templates, group, "ingress")  # type: ignore[arg-type]
                )
            }
            ok = any(props.get("PrivateDnsEnabled") for _, props in found) and (
                to_anywhere or any(peer in admitted for _, peer in egress)
            )
        if not ok:
            problems.append(f"{function[0]}/{function[1]}: {action} needs a reachable {service} endpoint")
    return problems


def placed(templates: Templates) -> list[Ref]:
    return [function for function, res in functions(templates) if "VpcConfig" in res["Properties"]]


def test_every_function_of_the_reference_app_but_the_webhook_caller_runs_in_the_studio_vpc(
    templates: Templates,
) -> None:
    studio_vpcs = [
        (STUDIO, logical_id)
        for logical_id, res in templates[STUDIO]["Resources"].items()
        if res["Type"] == "AWS::EC2::VPC"
    ]
    vpcs = {function: _placement(templates, function)[0] for function in placed(templates)}
    assert len(vpcs) >= 18
    assert set(vpcs.values()) == set(studio_vpcs)
    # The gateway's notify function posts webhooks to the internet, where the Studio VPC has no route.
    outside = {function: res for function, res in functions(templates) if function not in vpcs}
    assert [function[1] for function in outside] == ["GatewayNotifyFunctionB3B27349"]
    (notify,) = outside.values()
    skips = {skip["id"]: skip["comment"] for skip in notify["Metadata"]["checkov"]["skip"]}
    assert "webhooks" in skips["CKV_AWS_117"]


def test_every_service_a_function_may_call_is_reachable_from_its_subnets(templates: Templates) -> None:
    problems = [problem for function in placed(templates) for problem in _unreachable(templates, function)]
    assert problems == []


def test_the_reachability_journey_sees_a_missing_endpoint(templates: Templates) -> None:
    """GIVEN the deploy pipeline's start function (it starts executions) WHEN the Step Functions endpoint is gone
    THEN the journey names the function and the service."""
    without = {stack: template for stack, template in templates.items()}
    without[STUDIO] = {
        **templates[STUDIO],
        "Resources": {
            logical_id: res
            for logical_id, res in templates[STUDIO]["Resources"].items()
            if "StatesEndpoint" not in logical_id
        },
    }
    start = next(f for f in placed(templates) if "PipelineStartFunction" in f[1])
    assert _unreachable(without, start) == [
        f"{start[0]}/{start[1]}: states:StartExecution needs a reachable states endpoint"
    ]


def _functions_group(templates: Templates) -> Ref:
    groups = {tuple(_placement(templates, function)[2]) for function in placed(templates)}
    assert len(groups) == 1, groups
    (group,) = groups.pop()
    return group


def test_the_functions_security_group_sends_only_https_to_the_endpoints(templates: Templates) -> None:
    group = _functions_group(templates)
    assert security_group_rules(templates, group, "ingress") == []
    egress = security_group_rules(templates, group, "egress")
    assert all(rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"] == 443 for rule, _ in egress)
    peers = {peer[1] if peer is not None else rule["CidrIp"] for rule, peer in egress}
    # The two endpoint groups, and the gateway endpoints (S3, DynamoDB: their prefix lists are not in the template).
    assert peers == {
        "0.0.0.0/0",
        "StudioEndpointSecurityGroup34B38B9A",
        "StudioFunctionEndpointsEndpointSecurityGroup06DBC361",
    }


def test_the_functions_endpoints_admit_https_from_the_functions_only(templates: Templates) -> None:
    group = _functions_group(templates)
    endpoints_group = (STUDIO, "StudioFunctionEndpointsEndpointSecurityGroup06DBC361")
    ingress = security_group_rules(templates, endpoints_group, "ingress")
    assert [(rule["FromPort"], rule["ToPort"], peer) for rule, peer in ingress] == [(443, 443, group)]
    egress = resource(templates, endpoints_group)["Properties"]["SecurityGroupEgress"]
    assert [rule["CidrIp"] for rule in egress] == ["255.255.255.255/32"]  # CDK's "no egress" placeholder


def _depends_on(templates: Templates, stack: str, logical_id: str) -> set[str]:
    """Everything a resource waits for (DependsOn, Ref, GetAtt), transitively, within its stack."""
    seen: set[str] = set()
    todo = [logical_id]
    resources = templates[stack]["Resources"]
    while todo:
        res = resources[todo.pop()]
        refs = set(res.get("DependsOn", []))
        text = str(res.get("Properties", {}))
        refs |= {other for other in resources if f"'{other}'" in text}
        for other in refs - seen:
            seen.add(other)
            todo.append(other)
    return seen


def test_studio_functions_are_deleted_before_the_endpoints_they_call(templates: Templates) -> None:
    """The domain teardown runs while the stack is deleted: its functions (and the Provider framework's) must
    still reach SageMaker, EC2, EFS, Lambda and Step Functions, so every endpoint they call is deleted after them."""
    for function in placed(templates):
        if function[0] != STUDIO:
            continue
        vpc = _placement(templates, function)[0]
        waits_for = _depends_on(templates, *function)
        by_service = {name: ref for ref, name, _ in vpc_endpoints(templates, vpc)}
        for service in called_services(templates, function):
            assert by_service[service][1] in waits_for, f"{function[1]} does not wait for the {service} endpoint"


def test_function_roles_may_create_interfaces_only_in_the_functions_subnets(templates: Templates) -> None:
    """The scoped equivalent of AWSLambdaVPCAccessExecutionRole: one statement per role, naming the function's
    subnets and groups; the interfaces themselves by wildcard (their ids are generated)."""
    for function in placed(templates):
        _, subnets, groups = _placement(templates, function)
        creates = [
            (statement, holder)
            for statement, holder in role_statements(templates, function)
            if "ec2:CreateNetworkInterface" in as_list(statement["Action"])
        ]
        assert len(creates) == 1, function
        statement, holder = creates[0]
        assert refs_in(templates, holder[0], statement["Resource"]) == set(subnets) | set(groups)
        wildcards = [r for r in statement["Resource"] if "*" in str(r)]
        assert [str(r).count("network-interface/*") for r in wildcards] == [1]


# Handlers' boto3 clients, by the endpoint they need. A role's actions do not show every call: the deploy endpoint
# step calls SageMaker, SSM, Application Auto Scaling and CloudWatch as the stage's deploy role (sts:AssumeRole).
BOTO3_ENDPOINT = {
    "sagemaker": "sagemaker.api",
    "sagemaker-runtime": "sagemaker.runtime",
    "stepfunctions": "states",
    "cloudwatch": "monitoring",
    "efs": "elasticfilesystem",
    "mwaa": "airflow.api",
}
HANDLERS = {
    "gateway": ("gateway_handlers",),
    "deploy": ("deploy_handlers",),
    "tuning": ("tuning_launcher", "tuning_register", "tuning_report", "tuning_request"),
    "lifecycle": ("lifecycle_lookup",),
    "studio": ("studio_teardown",),
}
# Clients of trigger functions that are declared with their config, not with the capability.
DECLARED_ELSEWHERE = {
    "gateway": {
        "secretsmanager": "the notify function's signing secret: it posts webhooks to the internet, so it stays "
        "outside the Studio VPC (no route out)",
    },
    "deploy": {
        "secretsmanager": "the GitLab trigger's token: it runs in `deploy.gitlab.vpc`, never in the Studio VPC "
        "(check_function_network refuses that)",
        "airflow.api": "the MWAA trigger: DeployStack adds it with `deploy.mwaa`",
    },
}
CLIENT = re.compile(r"""(?:client|resource|call)\(\s*"([a-z0-9-]+)"|api\["([a-z0-9-]+)"\]""")


def handler_clients(package: str) -> set[str]:
    """The endpoint services of every boto3 client or resource a handler package names."""
    folder = Path(sagemaker_platform.__file__).parent / "lambda" / package
    names = {a or b for path in folder.rglob("*.py") for a, b in CLIENT.findall(path.read_text())}
    return {BOTO3_ENDPOINT.get(name, name) for name in names}


@pytest.mark.parametrize("capability", sorted(HANDLERS))
def test_every_client_of_a_capabilitys_handlers_has_its_endpoint_declared(capability: str) -> None:
    declared = set(lifecycle_services(True) if capability == "studio" else FUNCTION_SERVICES[capability])
    used = {service for package in HANDLERS[capability] for service in handler_clients(package)}
    assert used, f"no client found in {HANDLERS[capability]}: the pattern no longer matches the handlers"
    assert used - declared - set(DECLARED_ELSEWHERE.get(capability, {})) == set()


# examples/multi-account.yaml `network.functions.accounts`: the stage (CDK Pipelines) of each account's stacks.
EXISTING_VPC_STAGES = {"tooling": "Tooling", "prod": "Prod"}


def test_every_function_of_an_account_with_its_own_vpc_runs_in_that_accounts_subnets(
    multi_account_templates: Templates, multi_account_raw: dict[str, object]
) -> None:
    """Tooling and prod name their own VPC by id: each function of their stacks, the webhook caller included (those
    subnets route out), runs in exactly those subnets and groups, and its role may create interfaces only there."""
    accounts = multi_account_raw["network"]["functions"]["accounts"]  # type: ignore[index]
    for account, stage in EXISTING_VPC_STAGES.items():
        expected = accounts[account]
        stage_functions = [
            (function, res)
            for function, res in functions(multi_account_templates)
            if f"Metadata/mlplatform-pipeline/{stage}/" in f"Metadata/{res['Metadata']['aws:cdk:path']}"
        ]
        assert len(stage_functions) >= 5, f"{stage}: {len(stage_functions)} functions"
        for function, res in stage_functions:
            config = res["Properties"].get("VpcConfig")
            assert config is not None, f"{function}: outside any VPC in {account}"
            assert config["SubnetIds"] == expected["subnet_ids"], function
            assert config["SecurityGroupIds"] == expected["security_group_ids"], function
            creates = [
                statement
                for statement, _ in role_statements(multi_account_templates, function)
                if "ec2:CreateNetworkInterface" in as_list(statement["Action"])
            ]
            assert len(creates) == 1, function
            named = {str(r).rsplit("/", 1)[-1].rstrip("\"']}") for r in as_list(creates[0]["Resource"])}
            assert named - {"*"} == set(expected["subnet_ids"]) | set(expected["security_group_ids"]), function
