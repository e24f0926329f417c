"""The Control Tower pack of the compliance gate, run only with the rule files that can apply.

`cdklabs.cdk_validator_cfnguard.CfnGuardValidator` hands cfn-guard all 237 bundled rule files for every
template; about three quarters of them select only resource types this app never creates, and cfn-guard
still parses and evaluates each of them (about 60 % of `cdk synth`). `ControlTowerValidator` is that plugin
(same name, version, rule ids, so the report and the acknowledgments are unchanged) which, at validation
time, reads the resource types of the templates it is given and passes every rule file that selects none
of them as `disabled_rules`.

A rule file is skipped only when its type detection is unambiguous: every `Resources` query in it filters on
`Type ==` a literal type (directly or through a `let` constant), and every other mention of `Resources` is
one of the two helper forms the bundled rules use (`Resources exists`, `Resources[ keys == %ref ]`). Any
other shape keeps the file enabled. `tests/test_control_tower.py` proves the premise (no bundled rule fires
on a template without its types) and that the report is the same with and without the filter.
"""

from __future__ import annotations

import functools
import json
import re
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

import aws_cdk as cdk
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

_RULES_DIR = "package/rules/control-tower/cfn-guard/"
_TYPE = r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+"
_LITERAL = re.compile(rf"""["']({_TYPE})["']""")
_CONSTANT = re.compile(rf"""^\s*let\s+(\w+)\s*=\s*["']({_TYPE})["']\s*$""", re.MULTILINE)
# `Resources.*[ Type == %X or Type == 'AWS::…' ]` (the query may span lines)
_TYPED_QUERY = re.compile(r"""Resources(?:\.\*)?\[\s*((?:Type\s*==\s*(?:%\w+|'[^']*'|"[^"]*")\s*(?:or\s+)?)+)\]""")
_TYPE_OPERAND = re.compile(r"""Type\s*==\s*(%\w+|'[^']*'|"[^"]*")""")
# Helper forms that select no resource by themselves: the template check, and resolving a Ref/GetAtt by key.
_HELPERS = re.compile(r"""Resources\s+exists|Resources\[\s*keys\s*==\s*%\w+\s*\]""")
_RESOURCES = re.compile(r"\bResources\b")  # not `ResourcesVpcConfig`, a property of EKS clusters


@dataclass(frozen=True)
class RuleFile:
    """One bundled rule file: its name as `disabled_rules` takes it, and the types it selects (None: unknown)."""

    name: str
    types: frozenset[str] | None

    def applies_to(self, present: frozenset[str]) -> bool:
        return self.types is None or not self.types.isdisjoint(present)


def rule_types(source: str) -> frozenset[str] | None:
    """The resource types a guard rule file selects, or None when that cannot be read with certainty."""
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
    constants = dict(_CONSTANT.findall(code))
    types: set[str] = set()
    for query in _TYPED_QUERY.finditer(code):
        for operand in _TYPE_OPERAND.findall(query.group(1)):
            resolved = constants.get(operand[1:]) if operand.startswith("%") else _LITERAL.fullmatch(operand)
            if resolved is None:
                return None  # a constant that is not a type literal (a list, a regex): unknown
            types.add(resolved if isinstance(resolved, str) else resolved.group(1))
    remainder = _HELPERS.sub("", _TYPED_QUERY.sub("", code))
    if _RESOURCES.search(remainder) or not types:
        return None  # a query this reader does not understand, or none at all
    return frozenset(types)


@functools.cache
def bundled_rule_files() -> tuple[RuleFile, ...]:
    """Every Control Tower rule file bundled with the installed plugin (read once per process)."""
    package = resources.files("cdklabs.cdk_validator_cfnguard._jsii")
    (archive,) = (entry for entry in package.iterdir() if entry.name.endswith(".jsii.tgz"))
    found = []
    with resources.as_file(archive) as path, tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.startswith(_RULES_DIR) and member.name.endswith(".guard"):
                source = tar.extractfile(member)
                assert source is not None  # a regular file always has content
                found.append(RuleFile(PurePosixPath(member.name).stem, rule_types(source.read().decode())))
    if not found:
        raise RuntimeError(f"no Control Tower rule files under {_RULES_DIR} in {archive.name}")
    return tuple(sorted(found, key=lambda rule: rule.name))


def template_resource_types(template_paths: Iterable[str]) -> frozenset[str]:
    """Every resource type in the given CloudFormation templates."""
    types: set[str] = set()
    for template_path in template_paths:
        template_resources: Mapping[str, Mapping[str, object]] = json.loads(Path(template_path).read_text()).get(
            "Resources", {}
        )
        types.update(str(resource.get("Type")) for resource in template_resources.values())
    return frozenset(types)


def inapplicable_rules(present: frozenset[str]) -> list[str]:
    """Names of the bundled rule files that select none of the `present` resource types."""
    return [rule.name for rule in bundled_rule_files() if not rule.applies_to(present)]


class ControlTowerValidator(CfnGuardValidator):
    """`CfnGuardValidator` with the Control Tower rules, evaluating only the rule files that can apply.

    Same plugin name (`cdk-validator-cfnguard`), version and rule ids as the plugin it extends; the findings
    are the same, since a skipped file selects no resource of the templates validated.

    :param filter_rules: skip the rule files that cannot apply. Default: True; False runs every bundled file
        (`bench/phases.py` uses it to time both in one run).
    """

    def __init__(self, *, filter_rules: bool = True) -> None:
        super().__init__()
        self._filter_rules = filter_rules

    def validate(self, context: cdk.IPolicyValidationContextBeta1) -> cdk.PolicyValidationPluginReportBeta1:
        if not self._filter_rules:
            return as_errors(super().validate(context))
        disabled = inapplicable_rules(template_resource_types(context.template_paths))
        return as_errors(CfnGuardValidator(disabled_rules=disabled).validate(context))


def as_errors(report: cdk.PolicyValidationPluginReportBeta1) -> cdk.PolicyValidationPluginReportBeta1:
    """`report` with every violation of no stated severity marked as an error.

    cfn-guard's violations carry no severity. Once any acknowledgment suppresses one of them, aws-cdk-lib
    recomputes the pack's success as "no violation of severity error or fatal" — so without this, one
    acknowledged Control Tower finding would let every other open one pass synth.
    """
    violations = [
        cdk.PolicyViolationBeta1(
            description=violation.description,
            rule_name=violation.rule_name,
            violating_resources=violation.violating_resources,
            fix=violation.fix,
            rule_metadata=violation.rule_metadata,
            severity=violation.severity or "error",
        )
        for violation in report.violations
    ]
    return cdk.PolicyValidationPluginReportBeta1(
        success=report.success, violations=violations, metadata=report.metadata, plugin_version=report.plugin_version
    )
