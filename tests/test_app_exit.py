"""app.py ends its process without the interpreter's teardown, after the exit handlers and with its output flushed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# Runs app.py as the CLI does, with an exit handler and an object that only the interpreter's teardown frees.
DRIVER = """
import atexit, runpy, sys
marks = sys.argv[1]
atexit.register(lambda: open(marks + "/exit-handler", "w").close())
class Teardown:
    def __del__(self, _open=open, _path=marks + "/teardown"):
        _open(_path, "w").close()
kept = Teardown()
sys.argv = ["app.py"]
runpy.run_path("app.py", run_name="__main__")
"""


def test_given_the_app_ends_then_exit_handlers_run_output_is_flushed_and_no_teardown_follows(tmp_path: Path) -> None:
    # A config mistake ends the app before synth, through the same exit as a synthesized app.
    context = {"platform": {"studio": {"users": ["alice", "alice"]}}}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path / "cdk.out")}
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, str(tmp_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "duplicate user" in result.stderr  # written before the exit, flushed
    assert (tmp_path / "exit-handler").exists()  # the jsii kernel's stop is one of these handlers
    assert not (tmp_path / "teardown").exists()  # freeing every module's objects is skipped


# Imports app.py (without running it) and tells whether the cyclic collector was on when aws_cdk was imported.
COLLECTOR_DRIVER = """
import gc, importlib.abc, runpy, sys
seen = []
class Watch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "aws_cdk" and not seen:
            seen.append(gc.isenabled())
        return None
sys.meta_path.insert(0, Watch())
runpy.run_path("app.py", run_name="imported")
print(seen, gc.isenabled())
"""


def test_given_the_app_then_the_cyclic_collector_is_off_before_the_cdk_is_imported() -> None:
    # The collector walked the synth's objects ~500 times for ~0.2 s and freed almost nothing (app.py's comment).
    result = subprocess.run(
        [sys.executable, "-c", COLLECTOR_DRIVER], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split("\n")[-2] == "[False] False"
