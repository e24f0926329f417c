"""Deploy order: a stack whose policies name another stack's role (or bus) deploys strictly after it.

IAM trust policies and S3, KMS, SageMaker and EventBridge resource policies refuse a principal ARN of a
role that does not exist yet ("Invalid principal in policy"), and an EventBridge rule cannot be put on a
bus that does not exist. The stacks name each other's roles by deterministic ARN (`naming`), not by
reference, so CloudFormation cannot order them: the app must. Read from the synthesized templates:

- every role a stack creates (`AWS::IAM::Role` `RoleName`, nested stacks counted as their parent's) and
  every bus it creates (`AWS::Events::EventBus` `Name`), keyed by (account, name);
- every role ARN that a policy of another stack names as a principal (`Principal`/`NotPrincipal`,
  literal or rendered from `Fn::Join`/`Fn::Sub` with partition and account), and every bus a rule is put on.

Roles named only as the `Resource` of an identity policy (`sts:AssumeRole`, `iam:PassRole`) or in a
condition are not edges: IAM does not check that those exist. Roles that no stack of the app creates
(approvers, readers) are the operator's to create first and are not checked here.

Sandbox: the creating stack must be among the naming stack's transitive stack dependencies (`cdk deploy
--all` follows them). Pipeline: its CloudFormation execute action must run in an earlier CodePipeline
stage, or earlier in the same stage (run order), than the naming stack's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import cx_api

from tests.support import resources_of_type

PARTITION = "aws"
_ROLE_ARN = re.compile(r"^arn:aws:iam::(?P<account>[^:]+):role/(?:[^/]+/)*(?P<name>[^/]+)$")
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")

Name = tuple[str, str]  # (account, role or bus name)


@dataclass(frozen=True)
class StackInfo:
    """One deployable stack of an assembly with every template it deploys (its own and its nested ones)."""

    key: tuple[str, str]  # (account, stack name): unique in an account
    templates: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Edge:
    creator: tuple[str, str]
    namer: tuple[str, str]
    what: str


def render(value: Any, account: str) -> str | None:
    """A string intrinsic as deployed in `account` (partition `aws`), or None when it holds anything else."""
    pseudo = {"AWS::Partition": PARTITION, "AWS::AccountId": account}
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return pseudo.get(argument)
        if function == "Fn::Join":
            parts = [render(part, account) for part in argument[1]]
            return None if any(part is None for part in parts) else argument[0].join(parts)  # type: ignore[arg-type]
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            rendered = {**pseudo, **{key: render(val, account) for key, val in variables.items()}}
            if any(rendered.get(name) is None for name in _SUB_VARIABLE.findall(text)):
                return None
            return _SUB_VARIABLE.sub(lambda match: str(rendered[match.group(1)]), text)
    return None


def principals(node: Any) -> Iterator[Any]:
    """Every `AWS` principal value under `node`, policies serialized as JSON strings included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("Principal", "NotPrincipal") and isinstance(value, dict) and "AWS" in value:
                aws = value["AWS"]
                yield from aws if isinstance(aws, list) else [aws]
            else:
                yield from principals(value)
    elif isinstance(node, list):
        for item in node:
            yield from principals(item)
    elif isinstance(node, str) and node.lstrip().startswith("{") and "Principal" in node:
        try:
            yield from principals(json.loads(node))
        except json.JSONDecodeError:
            return


def created_names(stack: StackInfo) -> set[Name]:
    account = stack.key[0]
    names: set[Name] = set()
    for template in stack.templates:
        for role in resources_of_type(template, "AWS::IAM::Role").values():
            name = render(role["Properties"].get("RoleName"), account)
            if name is not None:
                names.add((account, f"role/{name}"))
        for bus in resources_of_type(template, "AWS::Events::EventBus").values():
            names.add((account, f"event-bus/{bus['Properties']['Name']}"))
    return names


def named_names(stack: StackInfo) -> set[Name]:
    """Roles named as principals, and buses that rules are put on by name, in `stack`'s templates."""
    account = stack.key[0]
    names: set[Name] = set()
    for template in stack.templates:
        for principal in principals(template.get("Resources", {})):
            match = _ROLE_ARN.match(render(principal, account) or "")
            if match is not None:
                names.add((match["account"], f"role/{match['name']}"))
        for rule in resources_of_type(template, "AWS::Events::Rule").values():
            bus = render(rule["Properties"].get("EventBusName"), account)
            if bus is not None and not bus.startswith("arn:") and bus != "default":
                names.add((account, f"event-bus/{bus}"))
    return names


def edges(stacks: list[StackInfo]) -> list[Edge]:
    creators: dict[Name, tuple[str, str]] = {}
    for stack in stacks:
        for name in created_names(stack):
            assert name not in creators, f"{name} is created by both {creators[name]} and {stack.key}"
            creators[name] = stack.key
    return sorted(
        (
            Edge(creators[name], stack.key, f"{name[1]} in account {name[0]}")
            for stack in stacks
            for name in named_names(stack)
            if name in creators and creators[name] != stack.key
        ),
        key=lambda edge: (edge.namer, edge.creator, edge.what),
    )


def stacks_of(assembly: cx_api.CloudAssembly) -> list[StackInfo]:
    """The top-level stacks of `assembly` (not of its nested assemblies), nested stack templates included."""
    directory = Path(assembly.directory)
    return [
        StackInfo(
            key=(stack.environment.account, stack.stack_name), templates=tuple(_with_nested(stack.template, directory))
        )
        for stack in assembly.stacks
    ]


def _with_nested(template: dict[str, Any], directory: Path) -> Iterator[dict[str, Any]]:
    yield template
    for nested in resources_of_type(template, "AWS::CloudFormation::Stack").values():
        path = nested.get("Metadata", {}).get("aws:asset:path")
        if path is not None:
            yield from _with_nested(json.loads((directory / path).read_text()), directory)


# --- sandbox: stack dependencies -------------------------------------------------------------------


def dependency_closure(assembly: cx_api.CloudAssembly) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(account, stack name) -> every stack it transitively depends on."""
    by_id = {stack.id: stack for stack in assembly.stacks}

    def closure(artifact_id: str, seen: set[str]) -> set[str]:
        for dependency in by_id[artifact_id].dependencies:
            if dependency.id in by_id and dependency.id not in seen:
                seen.add(dependency.id)
                closure(dependency.id, seen)
        return seen

    key = {stack.id: (stack.environment.account, stack.stack_name) for stack in assembly.stacks}
    return {key[artifact_id]: {key[dep] for dep in closure(artifact_id, set())} for artifact_id in by_id}


def test_given_the_sandbox_app_then_stacks_whose_policies_name_a_role_or_bus_depend_on_its_creator(
    default_assembly: cx_api.CloudAssembly,
) -> None:
    found = edges(stacks_of(default_assembly))
    assert found, "no cross-stack role or bus names found: the collector is broken"
    closure = dependency_closure(default_assembly)
    missing = [edge for edge in found if edge.creator not in closure[edge.namer]]
    assert not missing, "\n".join(f"{e.namer[1]} names {e.what} but does not depend on {e.creator[1]}" for e in missing)


# --- pipeline: stage and run order -----------------------------------------------------------------


def deploy_positions(pipeline_template: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(account, stack name) -> (CodePipeline stage index, run order) of the action that executes its change set."""
    (pipeline,) = resources_of_type(pipeline_template, "AWS::CodePipeline::Pipeline").values()
    positions: dict[tuple[str, str], tuple[int, int]] = {}
    for index, stage in enumerate(pipeline["Properties"]["Stages"]):
        for action in stage["Actions"]:
            configuration = action.get("Configuration", {})
            if action["ActionTypeId"]["Provider"] != "CloudFormation" or configuration.get("ActionMode") != (
                "CHANGE_SET_EXECUTE"
            ):
                continue
            role = _ROLE_ARN.match(render(action["RoleArn"], "") or "")
            assert role is not None, action["Name"]
            key = (role["account"], configuration["StackName"])
            assert key not in positions, f"{key} deployed twice"
            positions[key] = (index, action["RunOrder"])
    return positions


@pytest.fixture(scope="module")
def pipeline_order(multi_account_assembly: cx_api.CloudAssembly) -> tuple[list[StackInfo], dict[Any, tuple[int, int]]]:
    (pipeline,) = multi_account_assembly.stacks
    stacks = [
        stack for nested in multi_account_assembly.nested_assemblies for stack in stacks_of(nested.nested_assembly)
    ]
    return stacks, deploy_positions(pipeline.template)


def test_given_the_pipeline_then_every_stage_stack_is_deployed_once(
    pipeline_order: tuple[list[StackInfo], dict[Any, tuple[int, int]]],
) -> None:
    stacks, positions = pipeline_order
    assert sorted(stack.key for stack in stacks) == sorted(positions)


def test_given_the_pipeline_then_stacks_whose_policies_name_a_role_or_bus_deploy_after_its_creator(
    pipeline_order: tuple[list[StackInfo], dict[Any, tuple[int, int]]],
) -> None:
    stacks, positions = pipeline_order
    found = edges(stacks)
    assert found, "no cross-stack role or bus names found: the collector is broken"
    late = [edge for edge in found if not positions[edge.creator] < positions[edge.namer]]
    assert not late, "\n".join(
        f"{e.namer} (stage, run order {positions[e.namer]}) names {e.what} created by {e.creator} "
        f"(at {positions[e.creator]})"
        for e in late
    )


def test_given_the_pipeline_then_nothing_reaches_prod_before_the_manual_approval(
    multi_account_assembly: cx_api.CloudAssembly,
    pipeline_order: tuple[list[StackInfo], dict[Any, tuple[int, int]]],
    multi_account_raw: dict[str, Any],
) -> None:
    (pipeline,) = multi_account_assembly.stacks
    (codepipeline,) = resources_of_type(pipeline.template, "AWS::CodePipeline::Pipeline").values()
    approvals = [
        (index, action["RunOrder"])
        for index, stage in enumerate(codepipeline["Properties"]["Stages"])
        for action in stage["Actions"]
        if action["ActionTypeId"]["Provider"] == "Manual"
    ]
    assert len(approvals) == 1
    _, positions = pipeline_order
    prod = multi_account_raw["accounts"]["prod"]
    staging = multi_account_raw["accounts"]["staging"]
    assert all(position > approvals[0] for (account, _), position in positions.items() if account == prod)
    assert all(position < approvals[0] for (account, _), position in positions.items() if account == staging)


# --- the collector itself ---------------------------------------------------------------------------


def _role(name: str) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"RoleName": name}}


def _trusting(account: str, name: str) -> dict[str, Any]:
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{account}:role/{name}"]]}
    statement = {"Effect": "Allow", "Principal": {"AWS": [arn]}, "Action": "sts:AssumeRole"}
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [statement]}}}


def test_given_policies_naming_roles_then_edges_lead_from_the_creator_to_the_namer_only_across_stacks() -> None:
    creator = StackInfo(("111", "creator"), ({"Resources": {"A": _role("a"), "Self": _trusting("111", "a")}},))
    namer = StackInfo(
        ("222", "namer"),
        (
            {
                "Resources": {
                    "Trusts": _trusting("111", "a"),
                    "External": _trusting("111", "not-created-here"),
                    "OtherAccount": _trusting("333", "a"),
                    "Rule": {"Type": "AWS::Events::Rule", "Properties": {"EventBusName": "bus"}},
                }
            },
        ),
    )
    bus = StackInfo(
        ("222", "bus"), ({"Resources": {"Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "bus"}}}},)
    )
    assert edges([creator, namer, bus]) == [
        Edge(("111", "creator"), ("222", "namer"), "role/a in account 111"),
        Edge(("222", "bus"), ("222", "namer"), "event-bus/bus in account 222"),
    ]


def test_given_sub_and_pseudo_parameters_then_render_resolves_them_in_the_stack_account() -> None:
    assert (
        render({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x"}, "123") == "arn:aws:iam::123:role/x"
    )
    assert render({"Fn::Sub": ["arn:${P}:iam::1:role/${N}", {"P": {"Ref": "AWS::Partition"}, "N": "y"}]}, "1") == (
        "arn:aws:iam::1:role/y"
    )
    assert render({"Fn::GetAtt": ["Role", "Arn"]}, "1") is None
    assert render({"Fn::Sub": "arn:${AWS::Partition}:iam::1:role/${Unknown}"}, "1") is None
