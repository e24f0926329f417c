"""A small IAM policy evaluator over synthesized templates, for the cross-capability wiring tests.

Values are compared as `registry_helpers.text` renders them (``<AWS::AccountId>`` for pseudo parameters),
so a test names resources with the same placeholders. Supported: Allow/Deny, Action and Resource
wildcards, and the condition operators the platform's policies use. A condition key missing from the
request context fails its condition (as in IAM), so a test must state the context a call carries.
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Iterable, Iterator, Mapping
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
    else:
        raise AssertionError(f"condition operator {operator} is not supported by this evaluator")
    if quantifier == "ForAnyValue":
        return any(test(g) for g in given)
    if quantifier == "ForAllValues":
        return all(test(g) for g in given)
    return all(test(g) for g in given)


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: Context) -> bool:
    if not any(_match(str(a), action, case=False) for a in as_list(statement["Action"])):
        return False
    if not any(_match(text(r), resource) for r in as_list(statement.get("Resource", "*"))):
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


def principal_allowed(statement: dict[str, Any], principal_arn: str) -> bool:
    """The statement's principal covers `principal_arn`: named, or the account root with an ArnLike
    `aws:PrincipalArn` condition that the ARN matches."""
    principal = statement.get("Principal", {})
    principals = [text(p) for p in as_list(principal.get("AWS", []))] if isinstance(principal, dict) else []
    if principal_arn in principals:
        return True
    account = principal_arn.split(":iam::")[1].split(":role/")[0]
    roots = [p for p in principals if p.endswith(f":iam::{account}:root")]
    condition = statement.get("Condition", {}).get("ArnLike", {}).get("aws:PrincipalArn")
    return bool(roots) and condition is not None and any(_match(text(c), principal_arn) for c in as_list(condition))


# --- boto3 calls in handler sources ---------------------------------------------------------------


CALLERS = frozenset({"aws.call", "call", "_create_if_absent"})
"""The functions through which the deploy handlers call AWS: `aws.call(client, "operation", ...)` and wrappers."""


def module_calls(path: Path, clients: Mapping[str, str]) -> Iterator[tuple[str, str, int]]:
    """(service, operation, line) of each call `f(<client>, "<operation>", ...)` (f in `CALLERS`) in a module.

    `<client>` is `api["svc"]`, `aws.client("svc")`, or a name: a local assigned from one of those, or a
    parameter named in `clients` (parameter name -> service). Any other client argument fails the test,
    so that a new way of making calls cannot slip past it.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    # A wrapper's own body passes its operation on: its callers name the operations.
    for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name not in CALLERS]:
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
            yield service, operation.value, node.lineno


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
