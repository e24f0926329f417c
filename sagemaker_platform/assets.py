"""Locate the Lambda handler sources shipped inside the package.

`lambda` is a Python keyword, so the folder is package data found with `importlib.resources`,
never imported as a module. This works the same from a git checkout and from an installed wheel.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from sagemaker_platform.errors import PlatformError


def handler_dir(name: str) -> Path:
    """The folder of handler `name` (e.g. ``"studio_teardown"``) inside the installed package."""
    folder = resources.files("sagemaker_platform").joinpath("lambda", name)
    path = Path(str(folder))
    if not path.is_dir():
        available = sorted(p.name for p in path.parent.iterdir() if p.is_dir() and not p.name.startswith("_"))
        raise PlatformError(f"no Lambda handler folder {name!r}; available: {', '.join(available)}")
    return path


def handler_code(name: str) -> lambda_.Code:
    """`lambda.Code` for handler `name`: the folder as a zip asset, no Docker bundling needed."""
    return lambda_.Code.from_asset(str(handler_dir(name)), exclude=["__pycache__", "*.pyc"])
