"""Public names at the package root and in `sagemaker_platform.constructs`, resolved lazily (PEP 562)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sagemaker_platform
import sagemaker_platform.constructs
from tests.support import REPO_ROOT


@pytest.mark.parametrize("package", [sagemaker_platform, sagemaker_platform.constructs])
def test_given_the_package_then_every_name_in_all_resolves_and_is_listed_by_dir(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert names, "no public names"
    for name in names:
        assert getattr(package, name).__name__ == name
    assert set(names) <= set(dir(package))


def test_given_the_root_then_the_documented_constructs_are_the_same_objects_as_in_their_modules() -> None:
    from sagemaker_platform import Endpoint, InferenceGateway, ModelPackageGroup, StudioDomain
    from sagemaker_platform.constructs.gateway import InferenceGateway as FromModule

    assert InferenceGateway is FromModule is sagemaker_platform.constructs.InferenceGateway
    assert {Endpoint.__name__, ModelPackageGroup.__name__, StudioDomain.__name__} == {
        "Endpoint",
        "ModelPackageGroup",
        "StudioDomain",
    }


def test_given_an_unknown_name_then_the_root_raises_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="'sagemaker_platform' has no attribute 'Nope'"):
        _ = sagemaker_platform.Nope  # type: ignore[attr-defined]


def test_given_a_handler_test_importing_the_contracts_then_aws_cdk_is_not_imported() -> None:
    code = (
        "import json, sys, sagemaker_platform, sagemaker_platform.constructs\n"
        "import sagemaker_platform.contracts.tuning_spec, sagemaker_platform.contracts.gateway\n"
        "import sagemaker_platform.contracts.names\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('aws_cdk', 'jsii', 'sagemaker_platform.')))))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(result.stdout)
    assert not [name for name in loaded if name.startswith(("aws_cdk", "jsii"))]
    assert "sagemaker_platform.constructs.gateway" not in loaded


@pytest.mark.parametrize("package", [sagemaker_platform, sagemaker_platform.constructs])
def test_given_the_public_names_then_none_is_also_the_name_of_a_submodule(package: object) -> None:
    # A submodule import sets the package attribute of its name, which would replace the exported object.
    folder = Path(package.__file__).parent  # type: ignore[attr-defined]
    submodules = {path.stem for path in folder.glob("*.py")} | {path.name for path in folder.iterdir() if path.is_dir()}
    assert not submodules & set(package.__all__)  # type: ignore[attr-defined]
