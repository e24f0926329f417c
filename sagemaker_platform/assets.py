"""Locate the Lambda handler sources shipped inside the package and stage them as assets.

`lambda` is a Python keyword, so the folder is package data found with `importlib.resources`,
never imported as a module. This works the same from a git checkout and from an installed wheel.

Handlers share code with the constructs through `sagemaker_platform.contracts` (standard library
only). `handler_code` stages each asset as the handler folder plus a copy of the contracts under an
empty ``sagemaker_platform/__init__.py``, so ``from sagemaker_platform.contracts import ...`` resolves
inside Lambda to the staged copy, and in tests (repo root on sys.path) to the real package.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from sagemaker_platform.errors import PlatformError

STAGING_ROOT = Path(tempfile.gettempdir()) / "sagemaker-platform-assets"
"""Where staged assets live, one folder per handler and content hash (reused across synths)."""

_EXCLUDED_DIRS = frozenset({"__pycache__"})
_EXCLUDED_SUFFIXES = (".pyc",)
_EMPTY_INIT = "sagemaker_platform/__init__.py"


def handler_dir(name: str) -> Path:
    """The folder of handler `name` (e.g. ``"studio_teardown"``) inside the installed package."""
    folder = resources.files("sagemaker_platform").joinpath("lambda", name)
    path = Path(str(folder))
    if not path.is_dir():
        available = sorted(p.name for p in path.parent.iterdir() if p.is_dir() and not p.name.startswith("_"))
        raise PlatformError(f"no Lambda handler folder {name!r}; available: {', '.join(available)}")
    return path


def contracts_dir() -> Path:
    """The folder of `sagemaker_platform.contracts` inside the installed package."""
    return Path(str(resources.files("sagemaker_platform").joinpath("contracts")))


def staged_files(source: Path) -> dict[str, Path]:
    """What the asset of handler folder `source` contains: staged relative path (POSIX) -> source file.

    The handler folder's files, plus ``sagemaker_platform/contracts/*.py``. `stage_handler` also writes
    an EMPTY ``sagemaker_platform/__init__.py``: the real one exports constructs that need aws_cdk.
    """
    files = {path.relative_to(source).as_posix(): path for path in _source_files(source)}
    for path in sorted(contracts_dir().glob("*.py")):
        files[f"sagemaker_platform/contracts/{path.name}"] = path
    return files


def stage_handler(source: Path) -> Path:
    """Copy handler folder `source` and the contracts into a staging folder keyed by their content hash."""
    files = staged_files(source)
    digest = hashlib.sha256()
    for relative, path in sorted(files.items()):
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    target = STAGING_ROOT / f"{source.name}-{digest.hexdigest()[:16]}"
    expected = {relative: path.read_bytes() for relative, path in files.items()} | {_EMPTY_INIT: b""}
    if target.is_dir():
        if _contents(target) == expected:
            return target  # an earlier synth staged exactly these bytes
        # Something ran the staged copy and left bytecode, or edited it: the asset must be the sources only.
        shutil.rmtree(target)
    STAGING_ROOT.mkdir(parents=True, exist_ok=True)
    # Built aside and renamed into place, so a concurrent synth never sees a half-written folder.
    building = Path(tempfile.mkdtemp(prefix=f".{source.name}-", dir=STAGING_ROOT))
    for relative, data in expected.items():
        destination = building / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(data)
    try:
        os.rename(building, target)
    except OSError:
        if not target.is_dir():
            raise
        shutil.rmtree(building)  # another process staged the same content first
    return target


def handler_code(name: str | Path) -> lambda_.Code:
    """`lambda.Code` for handler `name`, staged with the contracts (plain copy, no Docker bundling).

    :param name: a folder under ``sagemaker_platform/lambda/`` (e.g. ``"studio_teardown"``), or the
        path of a handler folder elsewhere (e.g. a consumer's own handler that uses the contracts).
    """
    source = name if isinstance(name, Path) else handler_dir(name)
    return lambda_.Code.from_asset(str(stage_handler(source)))


def _source_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        excluded = _EXCLUDED_DIRS.intersection(path.relative_to(folder).parts) or path.name.endswith(_EXCLUDED_SUFFIXES)
        if path.is_file() and not excluded:
            yield path


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}
