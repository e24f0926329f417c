"""Read the templates of a cloud assembly, and synthesize the app of a git ref offline.

Synthesis runs the app the way the CDK CLI does, without the CLI: ``python <flags> app.py`` (the interpreter
flags of the tree's cdk.json ``app`` command, e.g. ``-O``) with the output folder in ``CDK_OUTDIR`` and the
context (cdk.json's ``context``, then cdk.context.json, then the
CLI's own flags) in ``CDK_CONTEXT_JSON``. No AWS account, credentials or network are needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_platform.errors import PlatformError
from sagemaker_platform.synthdiff.diff import NESTED_STACK_TYPE
from sagemaker_platform.synthdiff.schemas import DEFAULT_REGION

# What the CDK CLI adds to the context of `cdk synth`: construct paths on resources (the report
# shows them) and asset paths (nested stack templates are found through them), no version report.
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": False,
}
SYNTH_TIMEOUT_SECONDS = 900


class SynthError(PlatformError):
    """The app could not be synthesized (at a git ref or in the working tree)."""


@dataclass(frozen=True)
class StackTemplate:
    name: str
    """`<stage path>/<stack name>` (just the stack name at the top level); `<parent>/<logical id>` when nested."""
    template: dict[str, Any]
    region: str


def read_assembly(directory: Path) -> dict[str, StackTemplate]:
    """Every stack template of the cloud assembly in `directory`: stages and nested stacks included."""
    stacks: dict[str, StackTemplate] = {}
    _read_assembly(directory, "", stacks)
    return stacks


def _read_assembly(directory: Path, prefix: str, stacks: dict[str, StackTemplate]) -> None:
    manifest_file = directory / "manifest.json"
    if not manifest_file.is_file():
        raise SynthError(f"{directory} is not a cloud assembly (no manifest.json)")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        properties = artifact.get("properties", {})
        if artifact.get("type") == "cdk:cloud-assembly":
            stage = properties.get("displayName", artifact_id)
            _read_assembly(directory / properties["directoryName"], f"{prefix}{stage}/", stacks)
        elif artifact.get("type") == "aws:cloudformation:stack":
            template = json.loads((directory / properties["templateFile"]).read_text(encoding="utf-8"))
            region = str(artifact.get("environment", "")).rsplit("/", 1)[-1]
            region = DEFAULT_REGION if region in ("", "unknown-region") else region
            _add_stack(directory, f"{prefix}{properties.get('stackName', artifact_id)}", template, region, stacks)


def _add_stack(
    directory: Path, name: str, template: dict[str, Any], region: str, stacks: dict[str, StackTemplate]
) -> None:
    stacks[name] = StackTemplate(name=name, template=template, region=region)
    for logical_id, resource in template.get("Resources", {}).items():
        nested_file = resource.get("Metadata", {}).get("aws:asset:path")
        if resource.get("Type") == NESTED_STACK_TYPE and isinstance(nested_file, str):
            nested = json.loads((directory / nested_file).read_text(encoding="utf-8"))
            _add_stack(directory, f"{name}/{logical_id}", nested, region, stacks)


def app_context(tree: Path, config: str | None = None) -> dict[str, Any]:
    """The context `cdk synth` would give the app in `tree`: cdk.json, cdk.context.json, the CLI's flags."""
    context: dict[str, Any] = {}
    cdk_json = tree / "cdk.json"
    if cdk_json.is_file():
        context.update(json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {}))
    cached = tree / "cdk.context.json"
    if cached.is_file():
        context.update(json.loads(cached.read_text(encoding="utf-8")))
    context.update(CLI_CONTEXT)
    if config is not None:
        context["config"] = config
    return context


def interpreter_flags(tree: Path, app: str = "app.py") -> list[str]:
    """The Python flags of `tree`'s cdk.json ``app`` command when it runs `app`: ``.venv/bin/python -O app.py``
    -> ``["-O"]``; none without a cdk.json or for another script."""
    cdk_json = tree / "cdk.json"
    if not cdk_json.is_file():
        return []
    command = shlex.split(json.loads(cdk_json.read_text(encoding="utf-8")).get("app", ""))
    if len(command) < 2 or command[-1] != app:
        return []
    return [word for word in command[1:-1] if word.startswith("-")]


def start_synth(tree: Path, outdir: Path, *, config: str | None = None, app: str = "app.py") -> subprocess.Popen[str]:
    """Start ``python <cdk.json's flags> app.py`` in `tree` writing the cloud assembly to `outdir`; the caller
    waits on it."""
    if not (tree / app).is_file():
        raise SynthError(f"no {app} in {tree}: nothing to synthesize")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CDK_CONTEXT_JSON")}
    env.update(
        CDK_OUTDIR=str(outdir),
        CDK_CONTEXT_JSON=json.dumps(app_context(tree, config)),
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=env.get("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"),
    )
    return subprocess.Popen(
        [sys.executable, *interpreter_flags(tree, app), app],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_synth(process: subprocess.Popen[str], label: str) -> None:
    """Wait for a synth started with `start_synth`; a failure raises `SynthError` with the app's output."""
    try:
        output, _ = process.communicate(timeout=SYNTH_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SynthError(f"synth of {label} took more than {SYNTH_TIMEOUT_SECONDS} s") from None
    if process.returncode != 0:
        raise SynthError(f"synth of {label} failed (exit {process.returncode}):\n{output[-6000:]}")


@contextlib.contextmanager
def worktree_at(repo: Path, ref: str) -> Iterator[Path]:
    """A temporary, detached `git worktree` of `repo` at `ref`, removed afterwards."""
    resolved = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    with tempfile.TemporaryDirectory(prefix="synthdiff-base-") as parent:
        tree = Path(parent) / "tree"
        _git(repo, "worktree", "add", "--detach", "--quiet", str(tree), resolved)
        try:
            yield tree
        finally:
            _git(repo, "worktree", "remove", "--force", str(tree))


def repo_root(path: Path) -> Path:
    return Path(_git(path, "rev-parse", "--show-toplevel"))


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SynthError(f"git {' '.join(args)} failed: {(result.stderr or result.stdout).strip() or 'unknown ref'}")
    return result.stdout.strip()


def synth_ref_and_tree(
    repo: Path, base: str, workdir: Path, *, config: str | None = None, app: str = "app.py"
) -> tuple[Path, Path]:
    """Synthesize the app at git ref `base` and in the working tree of `repo`, in parallel.

    Returns the two cloud assembly folders (under `workdir`).
    """
    base_out, head_out = workdir / "base.out", workdir / "head.out"
    with worktree_at(repo, base) as tree:
        base_process = start_synth(tree, base_out, config=config, app=app)
        try:
            head_process = start_synth(repo, head_out, config=config, app=app)
            wait_synth(head_process, "the working tree")
            wait_synth(base_process, base)
        finally:
            if base_process.poll() is None:
                base_process.kill()
                base_process.communicate()
    return base_out, head_out
