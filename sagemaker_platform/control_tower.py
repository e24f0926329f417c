"""The Control Tower pack of the compliance gate: the rule files that can apply, on what they can read.

`cdklabs.cdk_validator_cfnguard.CfnGuardValidator` hands cfn-guard all 237 bundled rule files for every whole
template; about three quarters of them select only resource types this app never creates, most of the others
read a few resources of a template, and cfn-guard's cost grows with the rule files times the size of the data.
`ControlTowerValidator` is that plugin (same name, version, rule ids, so the report and the acknowledgments are
unchanged) which, at validation time, runs each group of rule files that read the same part of a template
(`sagemaker_platform.control_tower_rules`) once, over every template it applies to, each reduced to that part,
by the plugin's own code in parallel worker processes (`sagemaker_platform.control_tower_jobs`,
`sagemaker_platform.control_tower_runner`). `ControlTowerValidator.watch` starts that work as soon as the cloud
assembly is written (before the first plugin runs), so that it runs beside the cdk-nag packs.

`tests/test_compliance_control_tower.py` proves the premise (no bundled rule fires on a template without its
types), that the reduction keeps the findings a rule makes through a referenced resource, and that the report is
the same with and without the filter.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

from sagemaker_platform.control_tower_jobs import reports
from sagemaker_platform.control_tower_rules import bundled_rule_files

# How often the watcher looks for the cloud assembly, and for how long at most (a synth that fails never writes one).
_POLL_SECONDS = 0.02
_WATCH_SECONDS = 15 * 60


class ControlTowerValidator(CfnGuardValidator):
    """`CfnGuardValidator` with the Control Tower rules, evaluating only the rule files that can apply, each on
    what it can read of a template.

    Same plugin name (`cdk-validator-cfnguard`), version and rule ids as the plugin it extends; the findings
    are the same, since a skipped file selects no resource of the template validated and a reduced template
    keeps every resource a rule file can read. The runs go to the plugin's own code in worker processes spread
    over the CPUs (`sagemaker_platform.control_tower_jobs`), and the violations come back in the order the
    plugin reports them by itself.

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
            made = reports({path: json.loads(Path(path).read_bytes()) for path in missing})
            found.update(zip(missing, made, strict=True))
        joined = [found[path] for path in paths]
        violations = [_violation(violation) for report in joined for violation in report.get("violations", [])]
        return as_errors(
            cdk.PolicyValidationPluginReportBeta1(
                success=all(report.get("success", True) for report in joined), violations=violations
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
        made = reports({path: json.loads(data) for path, data in read.items()})
    except (OSError, ValueError, RuntimeError):
        return {}  # no complete assembly (a synth that failed), or the plugin failed: `validate` raises it there
    return {path: (read[path], report) for path, report in zip(read, made, strict=True)}


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
