"""The Control Tower pack of the compliance gate, run only with the rule files that can apply.

`cdklabs.cdk_validator_cfnguard.CfnGuardValidator` hands cfn-guard all 237 bundled rule files for every
template; about three quarters of them select only resource types this app never creates, and cfn-guard
still parses and evaluates each of them (about 60 % of `cdk synth`). `ControlTowerValidator` is that plugin
(same name, version, rule ids, so the report and the acknowledgments are unchanged) which, at validation
time, reads the resource types of each template it is given and validates that template with only the rule
files that select one of them, by the plugin's own code in parallel worker processes
(`sagemaker_platform.control_tower_runner`). `ControlTowerValidator.watch` starts those workers as soon as the
cloud assembly is written (before the first plugin runs), so that they run beside the cdk-nag packs.

A rule file is skipped only when its type detection is unambiguous: every `Resources` query in it filters on
`Type ==` a literal type (directly or through a `let` constant), and every other mention of `Resources` is
one of the two helper forms the bundled rules use (`Resources exists`, `Resources[ keys == %ref ]`). Any
other shape keeps the file enabled. `tests/test_compliance_control_tower.py` proves the premise (no bundled rule fires
on a template without its types) and that the report is the same with and without the filter.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from sagemaker_platform.control_tower_runner import Job, plugin_dir, run

_TYPE = r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+"
_LITERAL = re.compile(rf"""["']({_TYPE})["']""")
_CONSTANT = re.compile(rf"""^\s*let\s+(\w+)\s*=\s*["']({_TYPE})["']\s*$""", re.MULTILINE)
# `Resources.*[ Type == %X or Type == 'AWS::…' ]` (the query may span lines)
_TYPED_QUERY = re.compile(r"""Resources(?:\.\*)?\[\s*((?:Type\s*==\s*(?:%\w+|'[^']*'|"[^"]*")\s*(?:or\s+)?)+)\]""")
_TYPE_OPERAND = re.compile(r"""Type\s*==\s*(%\w+|'[^']*'|"[^"]*")""")
# Helper forms that select no resource by themselves: the template check, and resolving a Ref/GetAtt by key.
_HELPERS = re.compile(r"""Resources\s+exists|Resources\[\s*keys\s*==\s*%\w+\s*\]""")
_RESOURCES = re.compile(r"\bResources\b")  # not `ResourcesVpcConfig`, a property of EKS clusters
# How often the watcher looks for the cloud assembly, and for how long at most (a synth that fails never writes one).
_POLL_SECONDS = 0.02
_WATCH_SECONDS = 15 * 60


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
    rules = plugin_dir() / "rules" / "control-tower" / "cfn-guard"
    found = [RuleFile(path.stem, rule_types(path.read_text())) for path in rules.rglob("*.guard")]
    if not found:
        raise RuntimeError(f"no Control Tower rule files under {rules}")
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
    are the same, since a skipped file selects no resource of the template validated. Each template is
    validated with the rule files that select its resource types, by the plugin's own code in worker
    processes spread over the CPUs (`sagemaker_platform.control_tower_runner`), and the reports are joined
    in template order.

    :param filter_rules: skip the rule files that cannot apply. Default: True; False runs every bundled file
        in one run of the stock plugin (`bench/phases.py` uses it to time both in one run).
    """

    def __init__(self, *, filter_rules: bool = True) -> None:
        super().__init__()
        self._filter_rules = filter_rules
        self._watched: tuple[threading.Event, Future[dict[str, tuple[bytes, dict[str, Any]]]]] | None = None

    def watch(self, outdir: str) -> None:
        """Validate the stack templates of the next synth into `outdir` in the background, as soon as its cloud
        assembly is written; `validate` then takes those reports (for each template whose bytes are unchanged).

        `add_compliance_gate` calls it before `app.synth()`: aws-cdk-lib writes the assembly, then runs the plugins
        one after the other, so cfn-guard works on the other cores while the cdk-nag packs run in the jsii kernel.
        Does nothing when the rule filter is off.
        """
        if not self._filter_rules or self._watched is not None:
            return
        synthesized = threading.Event()  # set by `validate`: the assembly is written, whatever its timestamps say
        watched: Future[dict[str, tuple[bytes, dict[str, Any]]]] = Future()
        since = time.time_ns()

        def work() -> None:
            try:
                watched.set_result(_validate_when_written(outdir, since, synthesized))
            except BaseException as error:  # handed to `validate`, which raises it
                watched.set_exception(error)

        # A daemon thread: after a synth that failed before writing the assembly, nothing waits for it at exit.
        threading.Thread(target=work, name="control-tower-watch", daemon=True).start()
        self._watched = (synthesized, watched)

    def validate(self, context: cdk.IPolicyValidationContextBeta1) -> cdk.PolicyValidationPluginReportBeta1:
        if not self._filter_rules:
            return as_errors(super().validate(context))
        paths = tuple(context.template_paths)
        early: dict[str, tuple[bytes, dict[str, Any]]] = {}
        if self._watched is not None:
            synthesized, watched = self._watched
            self._watched = None
            synthesized.set()
            early = watched.result()
        # A report made early stands for a template only if the template still has the bytes it was made from.
        found = {path: early[path][1] for path in paths if path in early and Path(path).read_bytes() == early[path][0]}
        missing = tuple(path for path in paths if path not in found)
        if missing:
            found.update(zip(missing, _reports(missing), strict=True))
        reports = [found[path] for path in paths]
        violations = [_violation(found) for report in reports for found in report.get("violations", [])]
        return as_errors(
            cdk.PolicyValidationPluginReportBeta1(
                success=all(report.get("success", True) for report in reports), violations=violations
            )
        )


def _validate_when_written(
    outdir: str, since_ns: int, synthesized: threading.Event
) -> dict[str, tuple[bytes, dict[str, Any]]]:
    """Once the cloud assembly's manifest is written into `outdir` after `since_ns` (or `synthesized` is set),
    validate every stack template it names. Returns template path -> (its bytes when validated, the plugin's
    report), or nothing when the assembly or a job failed (`validate` then validates by itself)."""
    # Read the rule files now, while the jsii kernel synthesizes on one core.
    bundled_rule_files()
    manifest = Path(outdir) / "manifest.json"
    deadline = time.monotonic() + _WATCH_SECONDS
    while not synthesized.wait(_POLL_SECONDS):
        if _written_since(manifest, since_ns) or time.monotonic() > deadline:
            break
    try:
        read = {path: Path(path).read_bytes() for path in stack_template_paths(outdir)}
        reports = run([_job(path, json.loads(data), len(data)) for path, data in read.items()])
    except (OSError, ValueError, RuntimeError):
        return {}  # no complete assembly (a synth that failed), or the plugin failed: `validate` raises it there
    return {path: (read[path], report) for path, report in zip(read, reports, strict=True)}


def _written_since(path: Path, since_ns: int) -> bool:
    try:
        return path.stat().st_mtime_ns >= since_ns
    except OSError:
        return False


def stack_template_paths(directory: str) -> list[str]:
    """The template of every stack of the cloud assembly in `directory`, nested (stage) assemblies included, as
    aws-cdk-lib names them to the validation plugins (``<assembly directory>/<templateFile>``); nested stacks'
    templates are not among them."""
    manifest = json.loads((Path(directory) / "manifest.json").read_text())
    paths: list[str] = []
    for artifact in manifest.get("artifacts", {}).values():
        properties = artifact.get("properties", {})
        if artifact.get("type") == "aws:cloudformation:stack":
            paths.append(os.path.join(directory, properties["templateFile"]))
        elif artifact.get("type") == "cdk:cloud-assembly":
            paths.extend(stack_template_paths(os.path.join(directory, properties["directoryName"])))
    return paths


def _reports(template_paths: tuple[str, ...]) -> list[dict[str, Any]]:
    """The plugin's report for each template, each checked with only the rule files that can apply to it."""
    jobs = []
    for template_path in template_paths:
        data = Path(template_path).read_bytes()
        jobs.append(_job(template_path, json.loads(data), len(data)))
    return run(jobs)


def _job(template_path: str, template: Mapping[str, Any], size: int) -> Job:
    """The job validating `template` (read from `template_path`, `size` bytes) with the rule files that can apply."""
    resources: Mapping[str, Mapping[str, object]] = template.get("Resources", {})
    disabled = inapplicable_rules(frozenset(str(resource.get("Type")) for resource in resources.values()))
    # cfn-guard's cost grows with the rule files evaluated times the template's size.
    return Job(template_path, tuple(disabled), weight=(len(bundled_rule_files()) - len(disabled)) * size)


def _violation(found: Mapping[str, Any]) -> cdk.PolicyViolationBeta1:
    """A violation as the plugin reports it (its JSON form) in the CDK's type."""
    return cdk.PolicyViolationBeta1(
        description=found["description"],
        rule_name=found["ruleName"],
        fix=found.get("fix"),
        rule_metadata=found.get("ruleMetadata"),
        severity=found.get("severity"),
        violating_resources=[
            cdk.PolicyViolatingResourceBeta1(
                locations=resource["locations"],
                resource_logical_id=resource["resourceLogicalId"],
                template_path=resource["templatePath"],
            )
            for resource in found["violatingResources"]
        ],
    )


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
