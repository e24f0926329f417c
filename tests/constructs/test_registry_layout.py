"""GIVEN the registry split into the `constructs.registry` package, THEN the former import paths still work."""

from __future__ import annotations

import ast
from pathlib import Path

import sagemaker_platform.constructs.registry as registry
import sagemaker_platform.constructs.workload_access as workload_access
from sagemaker_platform.constructs.registry.group import ModelPackageGroup
from sagemaker_platform.constructs.registry.workload_access import WorkloadAccess

PACKAGE = Path(registry.__file__).parent


def test_the_former_module_paths_re_export_the_same_objects() -> None:
    assert registry.ModelPackageGroup is ModelPackageGroup
    assert workload_access.WorkloadAccess is WorkloadAccess is registry.WorkloadAccess
    assert workload_access.RegistryLocation is registry.RegistryLocation
    for name in registry.__all__:
        assert getattr(registry, name) is not None, name
    for name in workload_access.__all__:
        assert getattr(workload_access, name) is not None, name


def test_every_module_and_function_of_the_package_stays_small() -> None:
    for module in PACKAGE.glob("*.py"):
        source = module.read_text()
        assert source.count("\n") <= 400, module.name
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno is not None
                assert node.end_lineno - node.lineno < 60, f"{module.name}:{node.name}"
