"""Every synthesized template (default app and multi-account example, gate on) passes checkov.

A file of its own, apart from tests/test_templates.py: with `--dist loadfile` the two scanners (about 25 s
each) can then run on different workers.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support import REPO_ROOT
from tests.test_templates import template_files

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


def test_checkov_reports_no_failed_check_on_any_template(assembly_dirs: list[Path], tmp_path: Path) -> None:
    assert CHECKOV.exists(), "checkov's virtual environment is missing: run `make deps`"
    # Copy only the templates: checkov would otherwise also scan the Lambda assets in cdk.out.
    for index, file in enumerate(template_files(assembly_dirs)):
        (tmp_path / f"{index}-{file.name}").write_text(file.read_text())
    result = subprocess.run(
        [
            str(CHECKOV),
            "--directory",
            str(tmp_path),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    reports = json.loads(result.stdout) if result.stdout.strip() else []
    reports = reports if isinstance(reports, list) else [reports]
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for report in reports
        for check in report.get("results", {}).get("failed_checks", [])
    ]
    assert not failed, "\n".join(failed)
    assert result.returncode == 0, result.stderr[-2000:]
