"""Handler assets: each handler folder is staged with `sagemaker_platform.contracts` (plain copy, no Docker)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sagemaker_platform.assets import contracts_dir, handler_dir, stage_handler, staged_files
from tests.support import REPO_ROOT

HANDLERS = sorted(
    path.name
    for path in (REPO_ROOT / "sagemaker_platform" / "lambda").iterdir()
    if path.is_dir() and path.name != "__pycache__"
)
MAX_ASSET_BYTES = 100 * 1024


def files_under(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", HANDLERS)
def test_given_a_handler_then_its_staged_asset_is_a_byte_identical_copy_plus_the_contracts(name: str) -> None:
    source = handler_dir(name)
    staged = files_under(stage_handler(source))
    expected = {
        path.relative_to(source).as_posix(): path.read_bytes()
        for path in source.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    expected |= {f"sagemaker_platform/contracts/{p.name}": p.read_bytes() for p in contracts_dir().glob("*.py")}
    expected["sagemaker_platform/__init__.py"] = b""  # empty: the real one exports constructs (aws_cdk)
    assert staged == expected
    assert "sagemaker_platform/contracts/tuning_spec.py" in staged


@pytest.mark.parametrize("name", HANDLERS)
def test_given_a_handler_then_its_asset_zip_stays_under_100_kb(name: str) -> None:
    # The zip is what is uploaded and unpacked at each cold start (largest today: deploy_handlers, ~43 KB).
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, data in files_under(stage_handler(handler_dir(name))).items():
            archive.writestr(relative, data)
    assert len(buffer.getvalue()) < MAX_ASSET_BYTES


def test_given_the_same_sources_then_staging_is_deterministic_and_reused() -> None:
    first = stage_handler(handler_dir("tuning_request"))
    assert stage_handler(handler_dir("tuning_request")) == first
    assert first.name.startswith("tuning_request-")


def test_given_bytecode_left_in_a_staged_asset_then_restaging_removes_it() -> None:
    staged = stage_handler(handler_dir("tuning_request"))
    stray = staged / "__pycache__" / "index.cpython-311.pyc"
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"stale")
    assert stage_handler(handler_dir("tuning_request")) == staged
    assert not stray.exists()


def test_given_a_changed_contract_then_the_staging_folder_changes(tmp_path: Path) -> None:
    handler = tmp_path / "handler"
    handler.mkdir()
    (handler / "index.py").write_text("VALUE = 1\n")
    before = stage_handler(handler)
    (handler / "index.py").write_text("VALUE = 2\n")
    assert stage_handler(handler) != before
    assert set(staged_files(handler)) == {"index.py"} | {
        f"sagemaker_platform/contracts/{p.name}" for p in contracts_dir().glob("*.py")
    }


def test_given_the_staged_tuning_request_asset_then_it_builds_a_request_without_the_repository(
    tmp_path: Path,
) -> None:
    # As Lambda runs it: only the asset on sys.path, so the contracts resolve to the staged copy.
    staged = stage_handler(handler_dir("tuning_request"))
    code = (
        "import json, sys, index, sagemaker_platform.contracts.tuning_spec as spec\n"
        "print(json.dumps({'spec': spec.__file__, 'cdk': 'aws_cdk' in sys.modules}))"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", f"import sys; sys.path.insert(0, {str(staged)!r}); exec({code!r})"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(result.stdout)
    assert Path(found["spec"]).is_relative_to(staged)
    assert found["cdk"] is False
