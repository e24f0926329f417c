"""The reference app runs with `python -O` (cdk.json), and `make deps` writes the .opt-1.pyc files it reads.

Without them every package below would be compiled from source on each synth wherever bytecode is not written
(PYTHONDONTWRITEBYTECODE): the Makefile's `APP_PACKAGES` must name every site-packages package the app imports.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from bench.synth import interpreter_flags

REPO_ROOT = Path(__file__).resolve().parent.parent

# Imports the app and the opt-in Control Tower pack (imported on demand), then names the site-packages
# packages loaded: a package directory by its name, a single-module file by its file name.
_IMPORTED = """
import json, sys, sysconfig
from pathlib import Path
import app, sagemaker_platform.control_tower
site = Path(sysconfig.get_paths()["purelib"])
names = set()
for module in list(sys.modules.values()):
    path = Path(getattr(module, "__file__", None) or "/")
    if site in path.parents:
        top = path.relative_to(site).parts[0]
        names.add(top)
print(json.dumps(sorted(names)))
"""


def makefile_app_packages() -> set[str]:
    text = (REPO_ROOT / "Makefile").read_text().replace("\\\n", " ")
    match = re.search(r"^APP_PACKAGES\s*:=(.*)$", text, re.MULTILINE)
    assert match is not None, "the Makefile defines no APP_PACKAGES"
    return set(match.group(1).split())


def test_given_the_app_under_python_O_then_the_makefile_compiles_every_package_it_imports() -> None:
    result = subprocess.run(
        [sys.executable, "-O", "-c", _IMPORTED], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    imported = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert "aws_cdk" in imported and "cdklabs" in imported  # the probe sees the app's imports
    assert imported - makefile_app_packages() == set()


def test_given_cdk_json_then_the_app_runs_with_python_O_and_bench_uses_its_flags() -> None:
    app_command = json.loads((REPO_ROOT / "cdk.json").read_text())["app"]
    assert app_command.split() == [".venv/bin/python", "-O", "app.py"]
    assert interpreter_flags() == ["-O"]
