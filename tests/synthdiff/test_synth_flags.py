"""`make diff` runs each side's app as its cdk.json does: with that tree's interpreter flags (e.g. ``-O``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sagemaker_platform.synthdiff.assembly import interpreter_flags, start_synth, wait_synth
from tests.support import REPO_ROOT

# An app that writes the flags it runs under where the test reads them (no CDK needed).
APP = """
import os, pathlib, sys
pathlib.Path(os.environ["CDK_OUTDIR"]).mkdir(parents=True, exist_ok=True)
pathlib.Path(os.environ["CDK_OUTDIR"], "flags").write_text(str(sys.flags.optimize))
"""


def _tree(path: Path, app_command: str | None) -> Path:
    path.mkdir()
    (path / "app.py").write_text(APP)
    if app_command is not None:
        (path / "cdk.json").write_text(json.dumps({"app": app_command, "context": {}}))
    return path


@pytest.mark.parametrize(
    ("app_command", "optimize"),
    [(".venv/bin/python -O app.py", "1"), ("python3 app.py", "0"), (None, "0"), ("python3 -O other.py", "0")],
)
def test_the_app_runs_with_the_interpreter_flags_of_its_trees_cdk_json(
    tmp_path: Path, app_command: str | None, optimize: str
) -> None:
    tree = _tree(tmp_path / "tree", app_command)
    outdir = tmp_path / "out"
    wait_synth(start_synth(tree, outdir), "the test tree")
    assert (outdir / "flags").read_text() == optimize


def test_this_repositorys_diff_runs_the_app_as_cdk_synth_does() -> None:
    command = json.loads((REPO_ROOT / "cdk.json").read_text())["app"].split()
    assert interpreter_flags(REPO_ROOT) == command[1:-1] == ["-O"]
