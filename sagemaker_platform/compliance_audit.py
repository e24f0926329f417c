"""Audit of the compliance gate: what the packs find with no acknowledgment, what the report shows, which
acknowledgments match nothing.

After `app.synth()` (with `add_compliance_gate`):

    findings = recount(app)                                   # every cdk-nag finding, none acknowledged
    listed = reported(Path(assembly.directory))               # open + acknowledged, as validation-report.json says
    assert findings <= listed
    check_acknowledgments(app, Path(assembly.directory))      # raises on an acknowledgment that matches nothing

The reference app calls `check_acknowledgments` after synth, so a dead acknowledgment fails `cdk synth`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct

from sagemaker_platform.compliance import CONTROL_TOWER
from sagemaker_platform.errors import PlatformError

_ACKNOWLEDGED = "aws:cdk:acknowledged-rules"
_REPORT = "validation-report.json"
# The namespaces of the gate's plugins. aws-cdk-lib's own constructs acknowledge rules of its built-in
# "CloudFormation-Validate" plugin, which the gate does not run; those are not ours to audit.
CONTROL_TOWER_PACK = CONTROL_TOWER.removesuffix("::")
GATE_NAMESPACES = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", CONTROL_TOWER_PACK)


@dataclass(frozen=True, order=True)
class Finding:
    """One rule reported on one construct (cdk-nag: the L1 resource's construct path)."""

    pack: str
    rule: str
    path: str


@dataclass(frozen=True, order=True)
class Acknowledgment:
    """One `Validations.of(scope).acknowledge(...)`: the qualified rule id and the construct it was made on."""

    rule: str
    path: str
    reason: str


class DeadAcknowledgmentError(PlatformError):
    """An acknowledgment matches no finding: it hides nothing today and would pre-approve a future one."""


def _packs() -> list[NagPack]:
    # The packs `add_compliance_gate` registers, built without a scope (no aspect is added to any tree).
    return [AwsSolutionsChecks(), HIPAASecurityChecks(), NIST80053R5Checks()]


def acknowledgments(root: IConstruct, *, namespaces: tuple[str, ...] | None = GATE_NAMESPACES) -> list[Acknowledgment]:
    """Every acknowledgment recorded in the construct tree under `root` for one of `namespaces` (None: all).

    Walks the whole tree through jsii (a few round trips per construct); after synth,
    `synthesized_acknowledgments` reads the same from the cloud assembly.
    """
    entries = (
        (construct.node.path, entry.type, entry.data)
        for construct in root.node.find_all()
        for entry in construct.node.metadata
    )
    return _acknowledged(entries, namespaces)


def synthesized_acknowledgments(
    root: IConstruct, assembly_dir: Path, *, namespaces: tuple[str, ...] | None = GATE_NAMESPACES
) -> list[Acknowledgment]:
    """`acknowledgments(root)`, read from the synthesized cloud assembly at `assembly_dir`.

    Each stack artifact carries the metadata of every construct in it, nested stacks included (the manifest's
    `metadata` or its `additionalMetadataFile`); only the few constructs outside any stack (the app, stages)
    are read through jsii.
    """
    entries: list[tuple[str, str, Any]] = [
        (construct.node.path, entry.type, entry.data)
        for construct in _outside_stacks(root)
        for entry in construct.node.metadata
    ]
    entries.extend(_manifest_entries(assembly_dir))
    return _acknowledged(entries, namespaces)


def _outside_stacks(root: IConstruct) -> list[IConstruct]:
    # Every construct of the tree that no stack artifact records: the stacks' own subtrees are in the manifest.
    found, pending = [], [root]
    while pending:
        construct = pending.pop()
        if cdk.Stack.is_stack(construct):
            continue
        found.append(construct)
        pending.extend(construct.node.children)
    return found


def _manifest_entries(assembly_dir: Path) -> list[tuple[str, str, Any]]:
    """(construct path, type, data) of every metadata entry of every stack in the assembly and its stage assemblies."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    entries: list[tuple[str, str, Any]] = []
    for artifact in manifest.get("artifacts", {}).values():
        if artifact["type"] == "cdk:cloud-assembly":
            entries.extend(_manifest_entries(assembly_dir / artifact["properties"]["directoryName"]))
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        metadata = dict(artifact.get("metadata") or {})
        if artifact.get("additionalMetadataFile"):
            metadata.update(json.loads((assembly_dir / artifact["additionalMetadataFile"]).read_text()))
        for path, path_entries in metadata.items():
            entries.extend((path.removeprefix("/"), entry["type"], entry.get("data")) for entry in path_entries)
    return entries


def _acknowledged(entries: Iterable[tuple[str, str, Any]], namespaces: tuple[str, ...] | None) -> list[Acknowledgment]:
    found: list[Acknowledgment] = []
    for path, kind, data in entries:
        if kind != _ACKNOWLEDGED or not data:
            continue
        for rule, reason in dict(data).items():
            if namespaces is not None and str(rule).split("::", 1)[0] not in namespaces:
                continue
            found.append(Acknowledgment(rule=str(rule), path=path, reason=str(reason)))
    return sorted(found)


def recount(app: IConstruct) -> set[Finding]:
    """Every cdk-nag finding in `app`, as if nothing were acknowledged.

    cdk-nag itself honours only acknowledgments in the `Annotation::` namespace (unqualified ids); `acknowledge`
    never writes those, and one found here is refused, so the packs' raw findings are the complete count.
    """
    hidden = [ack for ack in acknowledgments(app, namespaces=None) if _hidden_from_report(ack.rule)]
    if hidden:
        listed = ", ".join(f"{ack.rule} at {ack.path}" for ack in hidden)
        raise DeadAcknowledgmentError(
            f"unqualified acknowledgments are applied by cdk-nag before the report sees them: {listed}; "
            "use sagemaker_platform.compliance.acknowledge"
        )
    findings: set[Finding] = set()
    for pack in _packs():
        report = pack.validate_scope(app)
        for violation in report.violations:
            for resource in violation.violating_resources:
                findings.add(Finding(pack.read_pack_name, violation.rule_name, resource.construct_path or ""))
    return findings


def _hidden_from_report(rule: str) -> bool:
    # cdk-nag strips "Annotation::" and compares the rest with its rule ids.
    namespace, _, rest = rule.partition("::")
    return namespace.lower() == "annotation" and rest.startswith(_NAG_RULE_PREFIXES)


_NAG_RULE_PREFIXES = ("AwsSolutions-", "HIPAA.Security-", "NIST.800.53.R5-")


def read_report(assembly_dir: Path) -> dict[str, Any]:
    """The CDK's validation report of a synthesized cloud assembly."""
    path = assembly_dir / _REPORT
    if not path.exists():
        raise FileNotFoundError(f"{path}: no validation report; was the app synthesized with the compliance gate?")
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def reported(assembly_dir: Path, *, plugins: tuple[str, ...] | None = None) -> set[Finding]:
    """Every finding the report lists, open or acknowledged (optionally only those of `plugins`)."""
    findings: set[Finding] = set()
    for plugin in read_report(assembly_dir)["pluginReports"]:
        name = plugin["pluginName"]
        if plugins is not None and name not in plugins:
            continue
        for violation in [*plugin["violations"], *(plugin.get("suppressedViolations") or [])]:
            for construct in violation["violatingConstructs"]:
                findings.add(Finding(name, violation["ruleName"], construct["constructPath"]))
    return findings


def counts(findings: set[Finding]) -> dict[str, int]:
    """Findings per pack, plus the AwsSolutions-IAM5 ones and the total, for `make bench` and the tests."""
    by_pack = Counter(finding.pack for finding in findings)
    result = dict(sorted(by_pack.items()))
    result["AwsSolutions-IAM5"] = sum(1 for finding in findings if finding.rule.startswith("AwsSolutions-IAM5"))
    result["total"] = len(findings)
    return result


def used_acknowledgments(assembly_dir: Path) -> set[tuple[str, str]]:
    """(qualified rule id, construct path) of every acknowledgment the report shows hiding a finding."""
    return {
        (violation["acknowledgedId"], violation["acknowledgedAt"])
        for plugin in read_report(assembly_dir)["pluginReports"]
        for violation in plugin.get("suppressedViolations") or []
    }


def unmatched_acknowledgments(
    app: IConstruct, assembly_dir: Path, *, control_tower: bool = False
) -> list[Acknowledgment]:
    """Acknowledgments that hide no finding of this synth (dead, or shadowed by a nearer one).

    Control Tower acknowledgments are audited only when that pack ran (`control_tower`).
    """
    used = used_acknowledgments(assembly_dir)
    namespaces = GATE_NAMESPACES if control_tower else tuple(ns for ns in GATE_NAMESPACES if ns != CONTROL_TOWER_PACK)
    made = synthesized_acknowledgments(app, assembly_dir, namespaces=namespaces)
    return [ack for ack in made if (ack.rule, ack.path) not in used]


def check_acknowledgments(app: cdk.App | cdk.Stage, assembly_dir: Path, *, control_tower: bool = False) -> None:
    """Raise naming every acknowledgment that matches no finding, and where it was made."""
    dead = unmatched_acknowledgments(app, assembly_dir, control_tower=control_tower)
    if dead:
        lines = "\n".join(f"  {ack.rule} at {ack.path}" for ack in dead)
        raise DeadAcknowledgmentError(
            f"{len(dead)} acknowledgment(s) match no finding; remove them or fix what they were for:\n{lines}"
        )
