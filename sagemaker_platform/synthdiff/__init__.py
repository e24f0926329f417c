"""Synth-and-diff: an offline template diff that predicts replacements and deletions of stateful resources.

``python -m sagemaker_platform.synthdiff --base origin/main`` (or ``make diff BASE=origin/main``)
synthesizes the app at the base git ref and in the working tree, diffs every stack resource by
resource, and exits 1 when a stateful resource (see `STATEFUL_TYPES`) would be removed or replaced
without an entry in ``.synthdiff-acknowledgments.yaml``.

Library use::

    report = diff_assemblies(Path("base.out"), Path("cdk.out"), load_acknowledgments(Path(DEFAULT_FILE)))
    print(render_markdown(report)); sys.exit(report.exit_code)
"""

from __future__ import annotations

from sagemaker_platform.synthdiff.acknowledgments import DEFAULT_FILE, Acknowledgment, load_acknowledgments
from sagemaker_platform.synthdiff.diff import (
    STATEFUL_TYPES,
    ChangeKind,
    PropertyChange,
    ResourceChange,
    StackDiff,
    diff_templates,
)
from sagemaker_platform.synthdiff.report import (
    Finding,
    Report,
    build_report,
    diff_assemblies,
    render_markdown,
    render_text,
)

__all__ = [
    "DEFAULT_FILE",
    "STATEFUL_TYPES",
    "Acknowledgment",
    "ChangeKind",
    "Finding",
    "PropertyChange",
    "Report",
    "ResourceChange",
    "StackDiff",
    "build_report",
    "diff_assemblies",
    "diff_templates",
    "load_acknowledgments",
    "render_markdown",
    "render_text",
]
