"""The synth-and-diff report: every stack's changes, the blocking ones, as text or Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sagemaker_platform.synthdiff.acknowledgments import Acknowledgment
from sagemaker_platform.synthdiff.assembly import read_assembly
from sagemaker_platform.synthdiff.diff import ChangeKind, ResourceChange, StackDiff, diff_templates

_SYMBOLS = {ChangeKind.ADDED: "+", ChangeKind.REMOVED: "-", ChangeKind.MODIFIED: "~", ChangeKind.RENAMED: "~"}


@dataclass(frozen=True)
class Finding:
    """A removal or replacement of a stateful resource, and the acknowledgment that accepts it (if any)."""

    change: ResourceChange
    why: str
    acknowledgment: Acknowledgment | None = None


@dataclass
class Report:
    stacks: list[StackDiff]
    findings: list[Finding] = field(default_factory=list)
    unused_acknowledgments: list[Acknowledgment] = field(default_factory=list)
    base_label: str = "base"
    head_label: str = "working tree"

    @property
    def blocking(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.acknowledgment is None]

    @property
    def changed_stacks(self) -> list[StackDiff]:
        return [stack for stack in self.stacks if stack.changed]

    @property
    def exit_code(self) -> int:
        """0: nothing stateful lost (or all of it acknowledged); 1: an unacknowledged stateful removal/replacement."""
        return 1 if self.blocking else 0


def build_report(
    stacks: list[StackDiff],
    acknowledgments: tuple[Acknowledgment, ...] = (),
    *,
    base_label: str = "base",
    head_label: str = "working tree",
) -> Report:
    """Judge every change: stateful removals and replacements are findings, matched against acknowledgments."""
    used: set[Acknowledgment] = set()
    findings: list[Finding] = []
    for stack in stacks:
        for change in stack.resources:
            why = change.danger()
            if why is None:
                continue
            match = next((ack for ack in acknowledgments if _matches(ack, change)), None)
            if match is not None:
                used.add(match)
            findings.append(Finding(change=change, why=why, acknowledgment=match))
    return Report(
        stacks=stacks,
        findings=findings,
        unused_acknowledgments=[ack for ack in acknowledgments if ack not in used],
        base_label=base_label,
        head_label=head_label,
    )


def _matches(ack: Acknowledgment, change: ResourceChange) -> bool:
    stack = change.stack
    return ack.logical_id in change.logical_ids and (ack.stack == stack or stack.endswith(f"/{ack.stack}"))


def diff_assemblies(
    base: Path,
    head: Path,
    acknowledgments: tuple[Acknowledgment, ...] = (),
    *,
    base_label: str = "base",
    head_label: str = "working tree",
) -> Report:
    """Diff every stack of two cloud assembly folders (stages and nested stacks included)."""
    old = read_assembly(base)
    new = read_assembly(head)
    stacks = []
    for name in sorted(set(old) | set(new)):
        region = (new.get(name) or old[name]).region
        stacks.append(
            diff_templates(
                name,
                old[name].template if name in old else None,
                new[name].template if name in new else None,
                region=region,
            )
        )
    return build_report(stacks, acknowledgments, base_label=base_label, head_label=head_label)


# --- rendering ------------------------------------------------------------------------------


def _verdict(change: ResourceChange) -> str:
    if change.kind is ChangeKind.ADDED:
        return "create"
    if change.kind is ChangeKind.REMOVED:
        return "orphan (Retain)" if change.retained else "delete"
    if change.replaced:
        return "REPLACE"
    return "update in place"


def _details(change: ResourceChange) -> str:
    parts = []
    if change.properties:
        parts.append("properties: " + ", ".join(prop.label for prop in change.properties))
    parts.extend(change.replacement_reasons)
    return "; ".join(parts)


def render_text(report: Report) -> str:
    lines = [f"synth-and-diff: {report.base_label} -> {report.head_label}"]
    changed = report.changed_stacks
    if not changed:
        lines.append("no changes")
    for stack in changed:
        status = f" (stack {stack.status.value})" if stack.status is not None else ""
        lines.append("")
        lines.append(f"Stack {stack.stack}{status}")
        for change in stack.resources:
            name = (
                change.logical_id
                if change.old_logical_id is None
                else f"{change.old_logical_id} -> {change.logical_id}"
            )
            details = _details(change)
            lines.append(
                f"  {_SYMBOLS[change.kind]} {change.kind.value:<8} {name} {change.resource_type}: {_verdict(change)}"
                + (f" ({details})" if details else "")
            )
        for output in stack.outputs:
            lines.append(f"  {_SYMBOLS[output.kind]} output {output.kind.value:<8} {output.name}")
    lines.extend(_text_findings(report))
    return "\n".join(lines) + "\n"


def _text_findings(report: Report) -> list[str]:
    lines: list[str] = []
    acknowledged = _acknowledged(report)
    if acknowledged:
        lines += ["", "Acknowledged stateful changes:"]
        lines += [
            f"  {f.change.stack} {f.change.logical_id}: {f.why} -- acknowledged: {reason}" for f, reason in acknowledged
        ]
    if report.unused_acknowledgments:
        lines += ["", "Unused acknowledgments (no matching change; remove them):"]
        lines += [f"  {ack.stack} {ack.logical_id}" for ack in report.unused_acknowledgments]
    if report.blocking:
        lines += [
            "",
            f"BLOCKED: {len(report.blocking)} change(s) would remove or replace a stateful resource, or cannot deploy:",
        ]
        lines += [
            f"  {f.change.stack} {f.change.logical_id} ({f.change.construct_path}): {f.why}" for f in report.blocking
        ]
        lines.append("Restore the construct ID/property, or acknowledge the change in .synthdiff-acknowledgments.yaml.")
    return lines


def _acknowledged(report: Report) -> list[tuple[Finding, str]]:
    return [(f, f.acknowledgment.reason) for f in report.findings if f.acknowledgment is not None]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report) -> str:
    changed = report.changed_stacks
    total = sum(len(stack.resources) for stack in changed)
    lines = [f"## Synth-and-diff: `{report.base_label}` → `{report.head_label}`", ""]
    if report.blocking:
        lines += [
            f"**Blocked:** {len(report.blocking)} change(s) would remove or replace a stateful resource, "
            "or cannot deploy.",
            "",
        ]
        lines += [
            f"- `{_cell(f.change.stack)}` `{f.change.logical_id}` (`{f.change.construct_path}`): {_cell(f.why)}"
            for f in report.blocking
        ]
        lines += [
            "",
            "Restore the construct ID or property, or acknowledge the change in `.synthdiff-acknowledgments.yaml`.",
            "",
        ]
    lines.append(f"{total} resource change(s) in {len(changed)} stack(s)." if changed else "No changes.")
    for stack in changed:
        status = f" (stack {stack.status.value})" if stack.status is not None else ""
        lines += ["", f"### `{stack.stack}`{status}", ""]
        if stack.resources:
            lines += ["| | Logical ID | Type | Action | Details |", "|---|---|---|---|---|"]
            for change in stack.resources:
                name = f"`{change.logical_id}`"
                if change.old_logical_id is not None:
                    name = f"`{change.old_logical_id}` → `{change.logical_id}`"
                action = f"**{_verdict(change)}**" if change.destroys else _verdict(change)
                lines.append(
                    f"| {_SYMBOLS[change.kind]} | {name} | `{change.resource_type}` | {action} | "
                    f"{_cell(_details(change))} |"
                )
        if stack.outputs:
            lines += ["", "Outputs: " + ", ".join(f"{o.kind.value} `{o.name}`" for o in stack.outputs)]
    acknowledged = _acknowledged(report)
    if acknowledged:
        lines += ["", "### Acknowledged stateful changes", ""]
        lines += [
            f"- `{f.change.stack}` `{f.change.logical_id}`: {_cell(f.why)} — {_cell(reason)}"
            for f, reason in acknowledged
        ]
    if report.unused_acknowledgments:
        lines += [
            "",
            "Unused acknowledgments: "
            + ", ".join(f"`{a.stack}` `{a.logical_id}`" for a in report.unused_acknowledgments),
        ]
    return "\n".join(lines) + "\n"
