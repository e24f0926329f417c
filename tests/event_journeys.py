"""Event journeys through synthesized templates: EventBridge pattern matching and hop-by-hop routing.

`matches(pattern, event)` implements the EventBridge pattern semantics the platform (and CDK) write:
exact values, `prefix`, `suffix`, `anything-but` (values or a prefix), `exists`, `equals-ignore-case`,
`numeric`, `wildcard`, nested objects, array fields (any element matches) and `$or`.

`follow(templates, event, ...)` walks an event from the bus it is put on: each rule on that bus whose
pattern matches → its targets; a target bus must be reachable (a bus of that name in the target account,
whose policy lets the rule's role put the event, and the role's own policy allows it) and the walk goes on
there; a Lambda function or state machine target must exist and (a function) let EventBridge invoke it
from that rule. A journey expected to reach a target and that does not fails with `JourneyBroken`,
naming the hop where it stopped.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.registry_helpers import text
from tests.wiring_helpers import allows, as_list, principal_allowed, statement_applies

_MISSING = object()


# --- pattern matching ------------------------------------------------------------------------------


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """True when `event` matches the EventBridge `pattern` (every field of the pattern, `$or` branches)."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(branch, event) for branch in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if not isinstance(value, Mapping) or not matches(expected, value):
                return False
        elif not _field_matches(list(expected), value):
            return False
    return True


def _field_matches(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for rule in rules:
        if isinstance(rule, Mapping) and "exists" in rule:
            present = value is not _MISSING
            if present == bool(rule["exists"]):
                return True
            continue
        if value is _MISSING:
            continue
        if any(_value_matches(rule, item) for item in values):
            return True
    return False


def _value_matches(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return bool(rule == value and type(rule) is type(value)) or (_number(rule) and _number(value) and rule == value)
    ((operator, operand),) = rule.items()
    if operator == "prefix":
        if isinstance(operand, Mapping):  # {"prefix": {"equals-ignore-case": "..."}}
            return isinstance(value, str) and value.lower().startswith(str(operand["equals-ignore-case"]).lower())
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(operand).lower()
    if operator == "wildcard":
        return isinstance(value, str) and fnmatch.fnmatchcase(value, operand)
    if operator == "anything-but":
        if isinstance(operand, Mapping):
            return not _value_matches(operand, value)
        return all(not _value_matches(item, value) for item in as_list(operand))
    if operator == "numeric":
        return _number(value) and _numeric(operand, value)
    raise AssertionError(f"pattern operator {operator!r} is not supported by this matcher")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(conditions: list[Any], value: float) -> bool:
    tests = {"<": value.__lt__, "<=": value.__le__, "=": value.__eq__, ">": value.__gt__, ">=": value.__ge__}
    return all(tests[op](bound) for op, bound in zip(conditions[::2], conditions[1::2], strict=True))


# --- routing through templates ---------------------------------------------------------------------


class JourneyBroken(AssertionError):
    """The event stopped before a target: `hop` names where, `trail` what it passed."""

    def __init__(self, hop: str, why: str, trail: list[str]) -> None:
        self.hop = hop
        super().__init__(f"journey broken at hop '{hop}': {why}\n  passed: " + "\n  passed: ".join(trail or ["-"]))


@dataclass(frozen=True)
class Stack:
    """A synthesized stack: its name, the account it deploys to (`<AWS::AccountId>` when env-agnostic)."""

    name: str
    account: str
    template: dict[str, Any]

    def resources(self, resource_type: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for logical_id, resource in self.template.get("Resources", {}).items():
            if resource["Type"] == resource_type:
                yield logical_id, resource


@dataclass
class Arrival:
    """A target the event reached: a Lambda function or state machine, and the rule that sent it there."""

    kind: str  # "function" | "state-machine"
    stack: str
    logical_id: str
    rule: str
    description: str
    environment: dict[str, Any] = field(default_factory=dict)


@dataclass
class Journey:
    trail: list[str]
    arrivals: list[Arrival]
    last_bus: str = ""
    """The last bus the event was put on (`<bus> in <account>`): where no rule took it further."""

    def functions_with(self, key: str, value: str) -> list[Arrival]:
        return [a for a in self.arrivals if a.environment.get(key) == value]


def follow(
    stacks: list[Stack], event: Mapping[str, Any], *, bus: str = "default", account: str, max_hops: int = 4
) -> Journey:
    """Every target that `event`, put on `bus` in `account`, reaches through rules, buses and policies."""
    journey = Journey(trail=[], arrivals=[])
    _route(stacks, dict(event), bus, account, journey, max_hops)
    return journey


def expect_arrival(journey: Journey, event: Mapping[str, Any], **environment: str) -> Arrival:
    """The one arrival whose function environment has `environment`; else `JourneyBroken` at the last hop."""
    found = [a for a in journey.arrivals if all(a.environment.get(k) == v for k, v in environment.items())]
    if len(found) != 1:
        hop = f"rules on bus {journey.last_bus}"
        raise JourneyBroken(
            hop,
            f"{_describe(event)} reached {len(found)} targets with {environment} "
            f"(arrivals: {[(a.stack, a.logical_id) for a in journey.arrivals]})",
            journey.trail,
        )
    return found[0]


def _describe(event: Mapping[str, Any]) -> str:
    detail = event.get("detail", {})
    return (
        f"{detail.get('ModelPackageGroupName')} v{detail.get('ModelPackageVersion')} "
        f"{detail.get('ModelApprovalStatus')} from {event.get('account')}"
    )


def _route(stacks: list[Stack], event: dict[str, Any], bus: str, account: str, journey: Journey, hops: int) -> None:
    if hops == 0:
        raise JourneyBroken(f"bus {bus}", "too many bus-to-bus hops (a forwarding loop?)", journey.trail)
    journey.last_bus = f"{bus} in {account}"
    for stack, rule_id, rule in _rules_on(stacks, bus, account):
        pattern = _rendered(rule["Properties"].get("EventPattern"))
        if rule["Properties"].get("State", "ENABLED") != "ENABLED" or pattern is None or not matches(pattern, event):
            continue
        journey.trail.append(f"rule {stack.name}/{rule_id} on bus {bus} ({account}): pattern matches")
        for target in rule["Properties"].get("Targets", []):
            _deliver(stacks, event, stack, rule_id, target, journey, hops)


def _rendered(value: Any) -> Any:
    """A pattern with its intrinsics (`Ref`, `Fn::Join`...) as `text` renders them: `<AWS::AccountId>`."""
    if (
        isinstance(value, dict)
        and len(value) == 1
        and next(iter(value)) in ("Ref", "Fn::Join", "Fn::GetAtt", "Fn::Sub")
    ):
        return text(value)
    if isinstance(value, dict):
        return {key: _rendered(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rendered(item) for item in value]
    return value


def _rules_on(stacks: list[Stack], bus: str, account: str) -> Iterator[tuple[Stack, str, dict[str, Any]]]:
    for stack in stacks:
        if stack.account != account:
            continue
        buses = {logical_id: r["Properties"].get("Name") for logical_id, r in stack.resources("AWS::Events::EventBus")}
        for rule_id, rule in stack.resources("AWS::Events::Rule"):
            name = rule["Properties"].get("EventBusName", "default")
            if isinstance(name, dict) and "Ref" in name:
                name = buses.get(name["Ref"], name)
            if text(name) == bus:
                yield stack, rule_id, rule


def _deliver(
    stacks: list[Stack],
    event: dict[str, Any],
    stack: Stack,
    rule_id: str,
    target: dict[str, Any],
    journey: Journey,
    hops: int,
) -> None:
    arn = target["Arn"]
    rule_arn_hint = f"{stack.name}/{rule_id}"
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        logical_id = arn["Fn::GetAtt"][0]
        resource = stack.template["Resources"].get(logical_id)
        if resource is None:
            raise JourneyBroken(f"target of {rule_arn_hint}", f"no resource {logical_id}", journey.trail)
        if resource["Type"] == "AWS::Lambda::Function":
            _check_invoke_permission(stack, rule_id, logical_id, journey)
            props = resource["Properties"]
            journey.trail.append(f"function {stack.name}/{logical_id}: invoked by {rule_id}")
            journey.arrivals.append(
                Arrival(
                    "function",
                    stack.name,
                    logical_id,
                    rule_id,
                    str(props.get("Description", "")),
                    {k: text(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()},
                )
            )
            return
        raise JourneyBroken(f"target of {rule_arn_hint}", f"unsupported target type {resource['Type']}", journey.trail)
    if isinstance(arn, dict) and "Ref" in arn:
        resource = stack.template["Resources"].get(arn["Ref"], {})
        if resource.get("Type") == "AWS::StepFunctions::StateMachine":
            journey.trail.append(f"state machine {stack.name}/{arn['Ref']}: started by {rule_id}")
            journey.arrivals.append(Arrival("state-machine", stack.name, arn["Ref"], rule_id, "", {}))
            return
    target_arn = text(arn)
    if ":event-bus/" in target_arn:
        _forward(stacks, event, stack, rule_id, target, target_arn, journey, hops)
        return
    raise JourneyBroken(f"target of {rule_arn_hint}", f"cannot follow target {target_arn}", journey.trail)


def _check_invoke_permission(stack: Stack, rule_id: str, function_id: str, journey: Journey) -> None:
    for _, permission in stack.resources("AWS::Lambda::Permission"):
        props = permission["Properties"]
        if (
            text(props.get("FunctionName")).startswith(f"<{function_id}")
            and props.get("Principal") == "events.amazonaws.com"
            and text(props.get("SourceArn")).startswith(f"<{rule_id}")
        ):
            return
    raise JourneyBroken(
        f"invoke permission of {stack.name}/{function_id}",
        f"no AWS::Lambda::Permission lets rule {rule_id} invoke it",
        journey.trail,
    )


def _forward(
    stacks: list[Stack],
    event: dict[str, Any],
    stack: Stack,
    rule_id: str,
    target: dict[str, Any],
    bus_arn: str,
    journey: Journey,
    hops: int,
) -> None:
    where = f"{stack.name}/{rule_id} -> {bus_arn}"
    account, bus_name = _arn_account(bus_arn), bus_arn.split(":event-bus/")[1]
    role_arn = _role_arn(stack, target.get("RoleArn"), journey, where)
    # The sending role's own policy.
    if not _identity_allows(stack, role_arn, "events:PutEvents", bus_arn):
        raise JourneyBroken(
            f"forwarder role policy ({where})", f"{role_arn} may not put events on {bus_arn}", journey.trail
        )
    journey.trail.append(f"forwarder role {role_arn}: may put events on {bus_arn}")
    # The receiving bus and its policy.
    found = [
        (s, logical_id, r)
        for s in stacks
        if s.account == account
        for logical_id, r in s.resources("AWS::Events::EventBus")
        if r["Properties"].get("Name") == bus_name
    ]
    if not found:
        raise JourneyBroken(f"target bus ({where})", f"no bus {bus_name} in account {account}", journey.trail)
    ((bus_stack, bus_id, bus_resource),) = found
    statements = as_list(bus_resource["Properties"].get("Policy", {}).get("Statement", []))
    for _, policy in bus_stack.resources("AWS::Events::EventBusPolicy"):
        if text(policy["Properties"].get("EventBusName")) in (f"<{bus_id}>", bus_name):
            statements += as_list(policy["Properties"].get("Statement", []))
    same_account = _arn_account(role_arn) == account
    context = {
        "events:source": event["source"],
        "events:detail-type": event["detail-type"],
        "aws:PrincipalArn": role_arn,
        **({"aws:PrincipalOrgID": event["_org"]} if "_org" in event else {}),
    }
    granted = [
        s
        for s in statements
        if s.get("Effect") == "Allow"
        and principal_allowed(s, role_arn)
        and statement_applies(s, "events:PutEvents", bus_arn, context)
    ]
    if not granted and not same_account:
        raise JourneyBroken(
            f"bus policy of {bus_stack.name}/{bus_id}",
            f"{role_arn} may not put {event['source']} / {event['detail-type']} events (context {context})",
            journey.trail,
        )
    journey.trail.append(f"bus policy of {bus_stack.name}/{bus_id}: admits {role_arn}")
    _route(stacks, event, bus_name, account, journey, hops - 1)


def _arn_account(arn: str) -> str:
    """The account field of an ARN as `text` renders it (pseudo parameters like `<AWS::Partition>` hold colons)."""
    flat = re.sub(r"<AWS::(\w+)>", r"{\1}", arn)
    return re.sub(r"\{(\w+)\}", r"<AWS::\1>", flat.split(":")[4])


def _role_arn(stack: Stack, value: Any, journey: Journey, where: str) -> str:
    if value is None:
        raise JourneyBroken(f"forwarder role ({where})", "the target has no RoleArn", journey.trail)
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        role = stack.template["Resources"][value["Fn::GetAtt"][0]]
        name = role["Properties"].get("RoleName")
        if name is None:
            raise JourneyBroken(f"forwarder role ({where})", "the role has no fixed name", journey.trail)
        return f"arn:<AWS::Partition>:iam::{stack.account}:role/{text(name)}"
    return text(value)


def _identity_allows(stack: Stack, role_arn: str, action: str, resource: str) -> bool:
    role_name = role_arn.rsplit("/", 1)[1]
    role_ids = {
        logical_id
        for logical_id, role in stack.resources("AWS::IAM::Role")
        if text(role["Properties"].get("RoleName")) == role_name
    }
    statements: list[dict[str, Any]] = []
    attached = {
        text(arn).strip("<>")
        for i in role_ids
        for arn in stack.template["Resources"][i]["Properties"].get("ManagedPolicyArns", [])
    }
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for policy_id, policy in stack.resources(policy_type):
            roles = {text(r).strip("<>") for r in as_list(policy["Properties"].get("Roles", []))}
            if roles & role_ids or policy_id in attached:
                statements += as_list(policy["Properties"]["PolicyDocument"]["Statement"])
    for logical_id in role_ids:
        for inline in stack.template["Resources"][logical_id]["Properties"].get("Policies", []):
            statements += as_list(inline["PolicyDocument"]["Statement"])
    return allows(statements, action, resource)
