"""A small IAM policy evaluator over synthesized templates, for the cross-capability wiring tests.

Values are compared as `registry_helpers.text` renders them (``<AWS::AccountId>`` for pseudo parameters),
so a test names resources with the same placeholders. Supported: Allow/Deny, Action and Resource
wildcards, and the condition operators the platform's policies use. A condition key missing from the
request context fails its condition (as in IAM), so a test must state the context a call carries.
"""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.registry_helpers import text

Context = Mapping[str, str | list[str]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _match(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def _condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    wanted = [text(v) for v in as_list(expected)]
    if key not in context:
        return operator.endswith("IfExists")
    given = as_list(context[key])
    base = operator.removesuffix("IfExists")
    quantifier, _, base = base.rpartition(":")
    if base in ("StringEquals", "ArnEquals", "Bool"):
        test = lambda g: any(g == w for w in wanted)  # noqa: E731
    elif base in ("StringLike", "ArnLike"):
        test = lambda g: any(_match(w, g) for w in wanted)  # noqa: E731
    elif base in ("StringNotEquals", "ArnNotEquals"):
        test = lambda g: all(g != w for w in wanted)  # noqa: E731
    elif base in ("StringNotLike", "ArnNotLike"):
        test = lambda g: not any(_match(w, g) for w in wanted)  # noqa: E731
    else:
        raise AssertionError(f"condition operator {operator} is not supported by this evaluator")
    if quantifier == "ForAnyValue":
        return any(test(g) for g in given)
    if quantifier == "ForAllValues":
        return all(test(g) for g in given)
    return all(test(g) for g in given)


_POLICY_VARIABLE = re.compile(r"\$\{(aws:[A-Za-z]+)\}")


def _substitute(pattern: str, context: Context) -> str | None:
    """`pattern` with its IAM policy variables (`${aws:SourceIdentity}`) replaced from the request context;
    None when one is missing (IAM then matches nothing)."""
    missing = [key for key in _POLICY_VARIABLE.findall(pattern) if key not in context]
    if missing:
        return None
    return _POLICY_VARIABLE.sub(lambda m: str(context[m.group(1)]), pattern)


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: Context) -> bool:
    if not any(_match(str(a), action, case=False) for a in as_list(statement["Action"])):
        return False
    patterns = [_substitute(text(r), context) for r in as_list(statement.get("Resource", "*"))]
    if not any(p is not None and _match(p, resource) for p in patterns):
        return False
    for operator, entries in statement.get("Condition", {}).items():
        for key, expected in entries.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def allows(statements: Iterable[dict[str, Any]], action: str, resource: str, context: Context | None = None) -> bool:
    """True when some Allow statement applies to (action, resource, context) and no Deny does."""
    statements = list(statements)
    ctx = context or {}
    applicable = [s for s in statements if statement_applies(s, action, resource, ctx)]
    return any(s["Effect"] == "Allow" for s in applicable) and not any(s["Effect"] == "Deny" for s in applicable)


def _principals(statement: dict[str, Any]) -> list[str]:
    """The AWS principals a resource-policy statement names, rendered."""
    principal = statement.get("Principal", {})
    return [text(p) for p in as_list(principal.get("AWS", []))] if isinstance(principal, dict) else []


def principal_allowed(statement: dict[str, Any], principal_arn: str) -> bool:
    """The statement's principal covers `principal_arn`: named, or the account root with an ArnLike
    `aws:PrincipalArn` condition that the ARN matches."""
    principals = _principals(statement)
    if principal_arn in principals:
        return True
    account = principal_arn.split(":iam::")[1].split(":role/")[0]
    roots = [p for p in principals if p.endswith(f":iam::{account}:root")]
    condition = statement.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn")
    return bool(roots) and condition is not None and any(_match(text(c), principal_arn) for c in as_list(condition))


def resource_policy_allows(
    statements: Iterable[dict[str, Any]], principal_arn: str, action: str, resource: str, context: Context | None = None
) -> bool:
    """The resource-side check: some statement naming `principal_arn` allows the call, and none denies it
    (a Deny to `*` applies to every principal)."""
    statements = list(statements)
    ctx = {"aws:PrincipalArn": principal_arn, **(context or {})}
    named = [s for s in statements if s["Effect"] == "Allow" and principal_allowed(s, principal_arn)]
    denies = [s for s in statements if s["Effect"] == "Deny"]
    return allows(named, action, resource, ctx) and not any(statement_applies(s, action, resource, ctx) for s in denies)


def key_policy_suffices(
    key_policy: Iterable[dict[str, Any]],
    principal_arn: str,
    action: str,
    key_account: str,
    context: Context | None = None,
) -> bool:
    """AWS KMS: in the key's own account, a key policy statement that names the principal itself is enough; the
    identity policy matters only across accounts, or where the key policy names the account root (delegating
    to IAM policies)."""
    if principal_arn.split(":iam::")[1].split(":role/")[0] != key_account:
        return False
    statements = list(key_policy)
    named = [s for s in statements if s["Effect"] != "Allow" or principal_arn in _principals(s)]
    return resource_policy_allows(named, principal_arn, action, "*", context)


@dataclass(frozen=True)
class Hop:
    """One policy a call must pass: who evaluates it (`where`) and whether it allows the call."""

    where: str
    allowed: bool


def walk(journey: str, hops: Sequence[Hop]) -> None:
    """Fail naming the first hop of `journey` whose policy refuses the call."""
    for index, hop in enumerate(hops, start=1):
        if not hop.allowed:
            raise AssertionError(f"journey {journey!r} breaks at hop {index}: {hop.where} refuses it")


def refused_somewhere(hops: Sequence[Hop]) -> list[str]:
    """The hops that refuse a call that must not happen (empty: the call would go through)."""
    return [hop.where for hop in hops if not hop.allowed]


def role_references(templates: Mapping[str, Mapping[str, Any]], role_name: str) -> dict[str, list[Any]]:
    """Per template: the values by which a policy's `Roles` there names the role called `role_name`.

    `{"Ref": <role>}` in the template creating it, and, for a role of a nested stack, the parent's
    `{"Fn::GetAtt": [<nested stack>, "Outputs.<output>"]}` of an output naming it: a managed policy the roles of
    a stack share (`SharedPolicies`) lives in the top-level stack and reaches a nested stack's role that way.
    `templates` are keyed as `support.templates_of` does (nested ones by file name without its suffix).
    """
    found: dict[str, list[Any]] = {}
    for name, template in templates.items():
        resources = template.get("Resources", {})
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::IAM::Role" or resource["Properties"].get("RoleName") != role_name:
                continue
            found.setdefault(name, []).append({"Ref": logical_id})
            outputs = [o for o, v in template.get("Outputs", {}).items() if v["Value"] == {"Ref": logical_id}]
            for parent, parent_template in templates.items():
                for stack_id, stack in parent_template.get("Resources", {}).items():
                    path = stack.get("Metadata", {}).get("aws:asset:path", "")
                    if stack["Type"] == "AWS::CloudFormation::Stack" and path == f"{name}.nested.template.json":
                        found.setdefault(parent, []).extend(
                            {"Fn::GetAtt": [stack_id, f"Outputs.{output}"]} for output in outputs
                        )
    return found


def attached_statements(templates: Mapping[str, Mapping[str, Any]], role_name: str) -> list[dict[str, Any]]:
    """Every statement of the managed policies attached to the role called `role_name`, wherever they live.

    A policy names the role in its `Roles` by reference (`role_references`: its own template, or the parent of
    the nested stack holding the role, where `SharedPolicies` keeps what the roles of a stack share) or by name
    (a policy attaching a role it imports by name).
    """
    references = role_references(templates, role_name)
    found: list[dict[str, Any]] = []
    for name, template in templates.items():
        accepted = [*references.get(name, []), role_name]
        for resource in template.get("Resources", {}).values():
            roles = resource.get("Properties", {}).get("Roles", [])
            if resource["Type"] == "AWS::IAM::ManagedPolicy" and any(r in roles for r in accepted):
                found.extend(as_list(resource["Properties"]["PolicyDocument"]["Statement"]))
    return found


# --- boto3 calls in handler sources ---------------------------------------------------------------


CALLERS = frozenset({"aws.call", "call", "_create_if_absent"})
"""The functions through which the deploy handlers call AWS: `aws.call(client, "operation", ...)` and wrappers."""


def module_calls(path: Path, clients: Mapping[str, str]) -> Iterator[tuple[str, str, int]]:
    """(service, operation, line) of each call `f(<client>, "<operation>", ...)` (f in `CALLERS`) in a module.

    `<client>` is `api["svc"]`, `aws.client("svc")`, or a name: a local assigned from one of those, or a
    parameter named in `clients` (parameter name -> service). Any other client argument fails the test,
    so that a new way of making calls cannot slip past it.
    """
    for _, service, operation, line in function_calls(path, clients):
        yield service, operation, line


def function_calls(path: Path, clients: Mapping[str, str]) -> Iterator[tuple[str, str, str, int]]:
    """(function, service, operation, line): `module_calls` with the module-level function making each call."""
    tree = ast.parse(path.read_text(), filename=str(path))
    # A wrapper's own body passes its operation on: its callers name the operations.
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or function.name in CALLERS:
            continue
        locals_: dict[str, str] = {}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                service = _service_of(node.value, {})
                if service is not None:
                    locals_[node.targets[0].id] = service
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and ast.unparse(node.func) in CALLERS):
                continue
            operation = node.args[1] if len(node.args) >= 2 else None
            if not (isinstance(operation, ast.Constant) and isinstance(operation.value, str)):
                raise AssertionError(
                    f"{path.name}:{node.lineno}: operation of {ast.unparse(node)[:80]} is not a literal"
                )
            service = _service_of(node.args[0], {**clients, **locals_})
            if service is None:
                raise AssertionError(
                    f"{path.name}:{node.lineno}: cannot tell the AWS service of {ast.unparse(node.args[0])!r} "
                    f"in {ast.unparse(node)[:80]}; teach module_calls about it"
                )
            yield function.name, service, operation.value, node.lineno


def reachable_functions(package: Path, module: str, function: str = "handler") -> set[tuple[str, str]]:
    """(module, function) pairs reachable from `module.function` through the package's module-level functions.

    Follows plain calls and references (`f`, `mod.f`, names imported with `from <package> import mod` or
    `from <package>.mod import f`): an over-approximation of what one handler may run.
    """
    trees = {p.stem: ast.parse(p.read_text()) for p in package.glob("*.py")}
    functions = {
        (name, node.name): node
        for name, tree in trees.items()
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }
    imports: dict[str, dict[str, tuple[str, str | None]]] = {}
    for name, tree in trees.items():
        table: dict[str, tuple[str, str | None]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == package.name:
                parts = node.module.split(".")
                for alias in node.names:
                    if len(parts) == 1:
                        table[alias.asname or alias.name] = (alias.name, None)
                    else:
                        table[alias.asname or alias.name] = (parts[1], alias.name)
        imports[name] = table
    seen: set[tuple[str, str]] = set()
    todo = [(module, function)]
    while todo:
        current = todo.pop()
        if current in seen or current not in functions:
            continue
        seen.add(current)
        mod = current[0]
        for node in ast.walk(functions[current]):
            if isinstance(node, ast.Name):
                if (mod, node.id) in functions:
                    todo.append((mod, node.id))
                elif node.id in imports[mod] and imports[mod][node.id][1] is not None:
                    target_module, target = imports[mod][node.id]
                    todo.append((target_module, str(target)))
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                imported = imports[mod].get(node.value.id)
                if imported is not None and imported[1] is None:
                    todo.append((imported[0], node.attr))
    return seen


def _service_of(node: ast.expr, names: Mapping[str, str]) -> str | None:
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    if (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) in ("aws.client", "client")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    if isinstance(node, ast.Name):
        return names.get(node.id)
    return None


IAM_PREFIX = {"sagemaker-runtime": "sagemaker", "stepfunctions": "states", "mwaa": "airflow"}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of boto3 `service`'s `operation` (from botocore's service model)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model(service)
    names = {xform_name(name): name for name in model.operation_names}
    if operation not in names:
        raise AssertionError(f"{service} has no operation {operation}")
    return f"{IAM_PREFIX.get(service, service)}:{names[operation]}"
