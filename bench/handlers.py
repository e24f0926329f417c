"""Lambda handlers: cold import time relative to `import boto3` in the same run, and asset sizes.

Each figure is the median of several fresh interpreters. For each handler two ratios are printed:
`import` (the handler module alone; its boto3 clients are created lazily) and `import+boto3` (what a cold
start pays before its first AWS call). Goal: import+boto3 / boto3 <= 1.2. Asset goal: <= 100 KB zipped.
"""

from __future__ import annotations

import io
import os
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path

from sagemaker_platform.assets import handler_dir

RUNS = 7
# Assets whose one index.py dispatches on an environment variable to one module per function.
DISPATCHED = {"deploy_handlers": ("DEPLOY_HANDLER", ("start", "reject", "endpoint", "approval", "record"))}
IMPORT_GOAL = 1.2
SIZE_GOAL_BYTES = 100 * 1024


def _timed_import(statement: str, path: Path | None, env: dict[str, str]) -> float:
    """Seconds a fresh interpreter spends on `statement`."""
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    environ = os.environ | env | {"PYTHONDONTWRITEBYTECODE": "1"}
    if path is not None:
        environ["PYTHONPATH"] = str(path)
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True)
    return float(result.stdout)


def import_ratios(folder: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """Median ms of the handler import, and the medians of (handler) / boto3 and (handler + boto3) / boto3.

    The three measurements alternate run by run, so that load on the machine weighs on them alike.
    """
    alone, ratios_alone, ratios_with = [], [], []
    for _ in range(RUNS):
        boto3_alone = _timed_import("import boto3", None, {})
        handler = _timed_import("import index", folder, env)
        handler_and_boto3 = _timed_import("import index; import boto3", folder, env)
        alone.append(handler)
        ratios_alone.append(handler / boto3_alone)
        ratios_with.append(handler_and_boto3 / boto3_alone)
    return statistics.median(alone) * 1000, statistics.median(ratios_alone), statistics.median(ratios_with)


def asset_size(folder: Path) -> int:
    """Bytes of the zipped asset, as `lambda.Code.from_asset` uploads it (no __pycache__)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc":
                archive.write(file, file.relative_to(folder))
    return len(buffer.getvalue())


def handlers() -> list[tuple[str, Path, dict[str, str]]]:
    """(label, asset folder, environment) for every function handler shipped in the package."""
    root = handler_dir("_canary").parent
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        if folder.name in DISPATCHED:
            variable, names = DISPATCHED[folder.name]
            found += [(f"{folder.name}:{name}", folder, {variable: name}) for name in names]
        elif (folder / "index.py").exists():
            found.append((folder.name, folder, {}))
    return found


def main() -> None:
    boto3_alone = statistics.median(_timed_import("import boto3", None, {}) for _ in range(RUNS))
    print(f"import boto3 alone: {boto3_alone * 1000:.1f} ms (median of {RUNS} fresh interpreters)")
    print(f"{'handler':28} {'import':>9} {'/boto3':>7} {'(import+boto3)/boto3':>21}  goal <= {IMPORT_GOAL}")
    for label, folder, env in handlers():
        try:
            handler_ms, ratio_alone, ratio_with = import_ratios(folder, env)
        except subprocess.CalledProcessError as exc:
            print(f"{label:28} import failed: {exc.stderr.strip().splitlines()[-1] if exc.stderr else exc}")
            continue
        verdict = "ok" if ratio_with <= IMPORT_GOAL else "OVER"
        print(f"{label:28} {handler_ms:7.1f}ms {ratio_alone:7.2f} {ratio_with:21.2f}  {verdict}")
    print(f"{'asset':28} {'zipped':>9}  goal <= {SIZE_GOAL_BYTES // 1024} KB")
    for folder in sorted({folder for _, folder, _ in handlers()}):
        size = asset_size(folder)
        print(f"{folder.name:28} {size / 1024:7.1f}KB  {'ok' if size <= SIZE_GOAL_BYTES else 'OVER'}")


if __name__ == "__main__":
    main()
