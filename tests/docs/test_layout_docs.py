"""The docs name the modules of the split capability packages, so "where is X" has an answer on the site."""

from __future__ import annotations

import pytest

from tests.support import REPO_ROOT

CONSTRUCTS = REPO_ROOT / "sagemaker_platform" / "constructs"
ARCHITECTURE = (REPO_ROOT / "docs" / "architecture.md").read_text()
# Capability packages whose every module the architecture tree and the API reference page list.
DOCUMENTED_PACKAGES = ["deploy", "tuning"]


def _modules(package: str) -> list[str]:
    return sorted(p.stem for p in (CONSTRUCTS / package).glob("*.py") if not p.stem.startswith("_"))


@pytest.mark.parametrize("package", DOCUMENTED_PACKAGES)
def test_every_module_of_a_capability_package_has_an_api_reference_section(package: str) -> None:
    reference = (REPO_ROOT / "docs" / "reference" / f"{package}.md").read_text()
    missing = [m for m in _modules(package) if f"::: sagemaker_platform.constructs.{package}.{m}\n" not in reference]
    assert missing == []


@pytest.mark.parametrize("package", DOCUMENTED_PACKAGES)
def test_the_architecture_tree_names_every_module_of_a_capability_package(package: str) -> None:
    assert f"    {package}/ " in ARCHITECTURE
    missing = [m for m in _modules(package) if f"      {m}.py " not in ARCHITECTURE]
    assert missing == []


def test_the_shared_helpers_module_is_documented() -> None:
    reference = (REPO_ROOT / "docs" / "reference" / "building-blocks.md").read_text()
    assert "::: sagemaker_platform.constructs.common\n" in reference
    assert "    common.py " in ARCHITECTURE
