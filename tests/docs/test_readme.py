"""The README as a newcomer reads it: its Python example runs as printed, its links lead somewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_the_readme_stays_a_first_page() -> None:
    assert len(README.splitlines()) <= 400


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    targets = [t for t in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README) if "://" not in t]
    assert targets
    missing = [t for t in targets if not (REPO_ROOT / t).exists()]
    assert missing == []


def test_the_readme_python_example_synthesizes_as_printed(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) == 1
    script = tmp_path / "app.py"
    script.write_text(blocks[0])
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CDK_OUTDIR": str(tmp_path / "cdk.out")}
    result = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "cdk.out" / "Research.template.json").exists()
