"""Reading the network of synthesized templates: what a Lambda function's subnets reach, and what its role calls.

References are followed across stacks (`Fn::GetStackOutput`, `Fn::ImportValue`), so a function in one stack
placed in another stack's VPC is checked against that VPC's endpoints and security groups.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.lifecycle_support import flatten

Templates = dict[str, dict[str, Any]]
Ref = tuple[str, str]  # (stack name, logical id)

# What Lambda does with the execution role itself, not from the function's subnets: write the function's logs,
# send active tracing's segments, manage the function's network interfaces. iam:PassRole calls no API.
LAMBDA_SIDE_ACTIONS = frozenset(
    {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "iam:PassRole",
    }
)
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})
_ENDPOINT_OF_PREFIX = {"cloudwatch": "monitoring", "ecr": "ecr.api"}


def resolve(templates: Templates, stack: str, value: Any) -> Ref | None:
    """The resource a `Ref`, `Fn::GetAtt`, `Fn::GetStackOutput` or `Fn::ImportValue` points to, if any."""
    if not isinstance(value, dict):
        return None
    if "Ref" in value:
        return (stack, value["Ref"]) if value["Ref"] in templates[stack].get("Resources", {}) else None
    if "Fn::GetAtt" in value:
        return stack, value["Fn::GetAtt"][0]
    if "Fn::GetStackOutput" in value:
        output = value["Fn::GetStackOutput"]
        producer = output["StackName"]
        return resolve(templates, producer, templates[producer]["Outputs"][output["OutputName"]]["Value"])
    if "Fn::ImportValue" in value:
        for producer, template in templates.items():
            for output in template.get("Outputs", {}).values():
                if output.get("Export", {}).get("Name") == value["Fn::ImportValue"]:
                    return resolve(templates, producer, output["Value"])
    return None


def resource(templates: Templates, ref: Ref) -> dict[str, Any]:
    return templates[ref[0]]["Resources"][ref[1]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def functions(templates: Templates) -> Iterator[tuple[Ref, dict[str, Any]]]:
    for stack, template in templates.items():
        for logical_id, res in template.get("Resources", {}).items():
            if res["Type"] == "AWS::Lambda::Function":
                yield (stack, logical_id), res


def role_statements(templates: Templates, function: Ref) -> list[tuple[dict[str, Any], Ref]]:
    """Every Allow statement of the function's execution role (inline, attached, or naming the role), with the
    resource that holds it (its references resolve in that resource's stack)."""
    stack = function[0]
    role = resolve(templates, stack, resource(templates, function)["Properties"]["Role"])
    assert role is not None, f"{function}: execution role not in the templates"
    props = resource(templates, role)["Properties"]
    documents = [(policy["PolicyDocument"], role) for policy in props.get("Policies", [])]
    for arn in props.get("ManagedPolicyArns", []):
        policy = resolve(templates, role[0], arn)
        assert policy is not None, f"{function}: AWS managed policy {arn} on its role"
        documents.append((resource(templates, policy)["Properties"]["PolicyDocument"], policy))
    for logical_id, res in templates[role[0]]["Resources"].items():
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy") and {"Ref": role[1]} in res["Properties"].get(
            "Roles", []
        ):
            documents.append((res["Properties"]["PolicyDocument"], (role[0], logical_id)))
    return [
        (statement, holder)
        for document, holder in documents
        for statement in document["Statement"]
        if statement["Effect"] == "Allow"
    ]


def refs_in(templates: Templates, stack: str, value: Any) -> set[Ref]:
    """Every resource that `value` (a property, an ARN built with `Fn::Join`) refers to."""
    found = resolve(templates, stack, value)
    if found is not None:
        return {found}
    if isinstance(value, dict):
        return {ref for item in value.values() for ref in refs_in(templates, stack, item)}
    if isinstance(value, list):
        return {ref for item in value for ref in refs_in(templates, stack, item)}
    return set()


def called_services(templates: Templates, function: Ref) -> dict[str, str]:
    """The endpoint services (`sagemaker.api`, `states`, `s3`, ...) the function's role lets it call from its
    subnets, each with one action that needs it; what Lambda does with the role itself is left out, and so is
    sending to the function's own dead-letter queue (Lambda sends there)."""
    props = resource(templates, function)["Properties"]
    dead_letters = resolve(templates, function[0], props.get("DeadLetterConfig", {}).get("TargetArn"))
    needed: dict[str, str] = {}
    for statement, holder in role_statements(templates, function):
        resources = [resolve(templates, holder[0], r) for r in as_list(statement.get("Resource", []))]
        for action in as_list(statement["Action"]):
            if action in LAMBDA_SIDE_ACTIONS:
                continue
            if action == "sqs:SendMessage" and dead_letters is not None and resources == [dead_letters]:
                continue
            needed.setdefault(endpoint_service(action), action)
    return needed


def endpoint_service(action: str) -> str:
    prefix, name = action.split(":", 1)
    if prefix == "sagemaker":
        return "sagemaker.runtime" if name.startswith("InvokeEndpoint") else "sagemaker.api"
    return _ENDPOINT_OF_PREFIX.get(prefix, prefix)


def security_group_rules(templates: Templates, group: Ref, direction: str) -> list[tuple[dict[str, Any], Ref | None]]:
    """The ingress or egress rules of a group (inline and separate resources), each with the peer group."""
    inline = "SecurityGroupIngress" if direction == "ingress" else "SecurityGroupEgress"
    peer_key = "SourceSecurityGroupId" if direction == "ingress" else "DestinationSecurityGroupId"
    rule_type = f"AWS::EC2::{inline}"
    rules = [
        (rule, resolve(templates, group[0], rule.get(peer_key)))
        for rule in resource(templates, group)["Properties"].get(inline, [])
    ]
    for stack, template in templates.items():
        for res in template.get("Resources", {}).values():
            if res["Type"] == rule_type and resolve(templates, stack, res["Properties"]["GroupId"]) == group:
                rules.append((res["Properties"], resolve(templates, stack, res["Properties"].get(peer_key))))
    return rules


def allows_https(rule: dict[str, Any]) -> bool:
    return rule.get("IpProtocol") in ("tcp", "-1") and rule.get("FromPort", 0) <= 443 <= rule.get("ToPort", 65535)


def vpc_endpoints(templates: Templates, vpc: Ref) -> Iterator[tuple[Ref, str, dict[str, Any]]]:
    """(endpoint, service short name, properties) of every VPC endpoint in `vpc`."""
    for stack, template in templates.items():
        for logical_id, res in template.get("Resources", {}).items():
            if res["Type"] == "AWS::EC2::VPCEndpoint" and resolve(templates, stack, res["Properties"]["VpcId"]) == vpc:
                service = flatten(res["Properties"]["ServiceName"]).split("<token>.", 1)[-1]  # com.amazonaws.<region>.
                yield (stack, logical_id), service, res["Properties"]
