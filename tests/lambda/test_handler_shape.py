"""Every handler asset has one shape: `index.py` (the entry point), one `errors.py` (the handler's typed errors)
and, when the handler needs more than one module, one package holding the rest. Nothing else ships beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from sagemaker_platform.assets import handler_dir

# The folder holding every handler folder, found as asset staging finds a handler.
LAMBDA_DIR = handler_dir("tuning_request").parent
HANDLER_FOLDERS = sorted(path for path in LAMBDA_DIR.iterdir() if path.is_dir() and not path.name.startswith("_"))


def _sources(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*.py") if "__pycache__" not in path.parts]


def test_the_handler_folders_are_found() -> None:
    assert len(HANDLER_FOLDERS) >= 8


@pytest.mark.parametrize("folder", HANDLER_FOLDERS, ids=lambda folder: folder.name)
def test_a_handler_is_index_errors_and_at_most_one_package(folder: Path) -> None:
    top_level_modules = sorted(path.name for path in folder.glob("*.py"))
    packages = [path for path in folder.iterdir() if path.is_dir() and path.name != "__pycache__"]
    errors = [path.relative_to(folder).as_posix() for path in _sources(folder) if path.name == "errors.py"]

    assert set(top_level_modules) <= {"index.py", "errors.py"} and "index.py" in top_level_modules
    assert len(packages) <= 1
    assert all((package / "__init__.py").is_file() for package in packages)
    assert len(errors) == 1, f"{folder.name}: one errors.py, beside index.py or in its package; found {errors}"
