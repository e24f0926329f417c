"""Consumer packaging: the built wheel installs into a clean virtual environment and its constructs
find their Lambda handler code inside the installed package.

The wheel is built from the files git would commit (``git ls-files``), as ``pip install git+<repo>``
would see them, then installed with its dependencies (from the local pip cache or registry) into a
fresh virtual environment, and `consumer_app.py` is synthesized from a folder outside the repository.
Takes ~30 s: build ~10 s, install ~15 s (no bytecode compilation), synth ~5 s.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import sagemaker_platform
from tests.support import REPO_ROOT

PACKAGE_DIR = REPO_ROOT / "sagemaker_platform"
CONSUMER_APP = Path(__file__).parent / "consumer_app.py"


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the files git would commit (tracked plus new, not ignored)."""
    source = tmp_path_factory.mktemp("source")
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], REPO_ROOT).stdout
    for name in filter(None, listed.split("\0")):
        if (REPO_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], source)
    (built,) = dist.glob("sagemaker_platform-*.whl")
    return built


@pytest.fixture(scope="module")
def consumer_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel and its declared dependencies, nothing else."""
    venv = tmp_path_factory.mktemp("venv") / "consumer"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], REPO_ROOT)
    python = venv / "bin" / "python"
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile", str(wheel)],
        REPO_ROOT,
    )
    return venv


@pytest.fixture(scope="module")
def consumer_run(consumer_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """consumer_app.py synthesized from a folder outside the repository with the clean environment's Python."""
    folder = tmp_path_factory.mktemp("consumer")
    assert REPO_ROOT not in folder.parents
    shutil.copy2(CONSUMER_APP, folder / "app.py")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "CDK_CONTEXT_JSON")}
    env.update(CDK_OUTDIR=str(folder / "cdk.out"), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20")
    result = run([str(consumer_venv / "bin" / "python"), "app.py"], folder, env)
    return folder / "cdk.out", json.loads(result.stdout.strip().splitlines()[-1])


def handler_folders() -> list[Path]:
    return sorted(path for path in (PACKAGE_DIR / "lambda").iterdir() if path.is_dir() and path.name != "__pycache__")


def test_given_the_wheel_then_it_ships_every_handler_folder_and_py_typed_and_no_bytecode(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "sagemaker_platform/py.typed" in names
    assert handler_folders(), "no handler folders found in the source tree"
    for folder in handler_folders():
        for file in folder.rglob("*"):
            if file.is_file() and "__pycache__" not in file.parts:
                assert f"sagemaker_platform/{file.relative_to(PACKAGE_DIR).as_posix()}" in names
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]
    contracts = sorted((PACKAGE_DIR / "contracts").glob("*.py"))
    assert contracts and all(f"sagemaker_platform/contracts/{path.name}" in names for path in contracts)


def test_given_the_wheel_then_its_version_is_the_package_version(wheel: Path) -> None:
    assert wheel.name.startswith(f"sagemaker_platform-{sagemaker_platform.__version__}-")


def test_given_a_clean_venv_then_the_package_and_its_handlers_come_from_site_packages(
    consumer_venv: Path, consumer_run: tuple[Path, dict[str, Any]]
) -> None:
    _, found = consumer_run
    site_packages = next((consumer_venv / "lib").glob("python3.*/site-packages"))
    assert Path(found["package_file"]).is_relative_to(site_packages)
    assert Path(found["handler_dir"]).is_relative_to(site_packages)
    assert found["version"] == sagemaker_platform.__version__
    assert found["root_exports"] is True  # the lazy root exports work from the installed wheel


def test_given_the_consumer_app_then_the_function_assets_are_the_packaged_handler_code(
    consumer_run: tuple[Path, dict[str, Any]],
) -> None:
    outdir, found = consumer_run
    template = json.loads((outdir / "ConsumerStack.template.json").read_text())
    assets = json.loads((outdir / "ConsumerStack.assets.json").read_text())
    shipped = [
        outdir / assets["files"][r["Properties"]["Code"]["S3Key"].removesuffix(".zip")]["source"]["path"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and "S3Key" in r["Properties"].get("Code", {})
    ]
    handler = Path(found["handler_dir"]) / "index.py"
    matching = [
        folder
        for folder in shipped
        if (folder / "index.py").is_file() and (folder / "index.py").read_text() == handler.read_text()
    ]
    assert matching, "no Lambda asset carries the installed package's studio_teardown handler"
    assert handler.read_text() == (PACKAGE_DIR / "lambda" / "studio_teardown" / "index.py").read_text()
    # The asset was staged from the installed wheel with the contracts its handler imports.
    for asset in set(matching):
        assert (asset / "sagemaker_platform" / "__init__.py").read_bytes() == b""
        for contract in sorted((PACKAGE_DIR / "contracts").glob("*.py")):
            assert (asset / "sagemaker_platform" / "contracts" / contract.name).read_bytes() == contract.read_bytes()


def test_given_the_consumer_app_then_it_has_a_studio_domain_an_async_endpoint_at_zero_and_a_registry_grant(
    consumer_run: tuple[Path, dict[str, Any]],
) -> None:
    outdir, _ = consumer_run
    template = json.loads((outdir / "ConsumerStack.template.json").read_text())
    resources = template["Resources"].values()
    assert [r for r in resources if r["Type"] == "AWS::SageMaker::Domain"]
    (config,) = [r for r in resources if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    assert "AsyncInferenceConfig" in config["Properties"]
    targets = [r for r in resources if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"]
    assert [t["Properties"]["MinCapacity"] for t in targets] == [0]
    policies = json.dumps([r for r in resources if r["Type"] == "AWS::IAM::ManagedPolicy"])
    assert "model-package-group/churn" in policies  # the imported group's deploy grant
