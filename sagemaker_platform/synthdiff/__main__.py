"""``python -m sagemaker_platform.synthdiff``: diff the app at a git ref against the working tree.

Exit status: 0 no stateful resource lost (or every loss acknowledged), 1 an unacknowledged removal or
replacement of a stateful resource, 2 the diff could not be made (bad ref, synth failure, bad
acknowledgment file).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from sagemaker_platform.errors import PlatformError
from sagemaker_platform.synthdiff.acknowledgments import DEFAULT_FILE, load_acknowledgments
from sagemaker_platform.synthdiff.assembly import repo_root, synth_ref_and_tree
from sagemaker_platform.synthdiff.report import Report, diff_assemblies, render_markdown, render_text

EXIT_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sagemaker_platform.synthdiff",
        description="Synthesize the CDK app at a git ref and in the working tree (offline) and diff every stack; "
        "exit 1 when a stateful resource would be removed or replaced, or a custom-named resource replaced "
        "(CloudFormation refuses it), without an acknowledgment.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", metavar="REF", help="git ref to compare the working tree with (e.g. origin/main)")
    source.add_argument(
        "--assemblies",
        nargs=2,
        metavar=("BASE_DIR", "HEAD_DIR"),
        type=Path,
        help="compare two cloud assemblies already synthesized instead",
    )
    parser.add_argument(
        "--repo", type=Path, default=Path.cwd(), help="the git repository (default: the current folder)"
    )
    parser.add_argument("--config", help="platform config file passed to the app as `-c config=PATH` on both sides")
    parser.add_argument("--app", default="app.py", help="the app's entry script (default: app.py)")
    parser.add_argument(
        "--acknowledgments",
        type=Path,
        help=f"acknowledged stateful changes (default: {DEFAULT_FILE} in the repository)",
    )
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--output", type=Path, help="also write the report to this file")
    return parser


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        report = _report(args)
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    rendered = render_markdown(report) if args.format == "markdown" else render_text(report)
    sys.stdout.write(rendered)
    if args.output is not None:
        args.output.write_text(rendered, encoding="utf-8")
    return report.exit_code


def _report(args: argparse.Namespace) -> Report:
    if args.assemblies is not None:
        acknowledgments = load_acknowledgments(args.acknowledgments or Path(DEFAULT_FILE))
        base_dir, head_dir = args.assemblies
        return diff_assemblies(base_dir, head_dir, acknowledgments, base_label=str(base_dir), head_label=str(head_dir))
    repo = repo_root(args.repo)
    acknowledgments = load_acknowledgments(args.acknowledgments or repo / DEFAULT_FILE)
    with tempfile.TemporaryDirectory(prefix="synthdiff-") as workdir:
        base_dir, head_dir = synth_ref_and_tree(repo, args.base, Path(workdir), config=args.config, app=args.app)
        return diff_assemblies(base_dir, head_dir, acknowledgments, base_label=args.base)


if __name__ == "__main__":
    sys.exit(run())
