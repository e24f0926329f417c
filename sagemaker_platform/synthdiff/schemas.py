"""Create-only properties of CloudFormation resource types, from the provider schemas cfn-lint ships.

A resource provider schema lists `createOnlyProperties` as JSON pointers (``/properties/BucketName``,
``/properties/Policies/*/PolicyArn``); CloudFormation replaces the resource when one of them changes.
cfn-lint (an optional dependency: ``pip install sagemaker-platform[diff]``) ships every schema per region
as package data: ``cfnlint/data/schemas/providers/<region>.json`` maps a type to a schema file in
``cfnlint/data/schemas/resources/``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from importlib.abc import Traversable
from typing import Any

from sagemaker_platform.errors import PlatformError

DEFAULT_REGION = "us-east-1"


class SchemaError(PlatformError):
    """The CloudFormation resource provider schemas cannot be read."""


def _schemas_root() -> Traversable:
    try:
        return resources.files("cfnlint").joinpath("data", "schemas")
    except ModuleNotFoundError:
        raise SchemaError(
            "synth-and-diff reads CloudFormation resource schemas from cfn-lint, which is not installed: "
            "pip install 'sagemaker-platform[diff]' (or cfn-lint)"
        ) from None


@cache
def _provider_index(region: str) -> dict[str, str]:
    providers = _schemas_root().joinpath("providers")
    index_file = providers.joinpath(f"{region}.json")
    if not index_file.is_file():
        raise SchemaError(f"cfn-lint ships no resource schemas for region {region!r}")
    index: dict[str, str] = json.loads(index_file.read_text(encoding="utf-8"))
    if region != DEFAULT_REGION:
        # A type missing from a smaller region's list still has a schema in us-east-1.
        return {**_provider_index(DEFAULT_REGION), **index}
    return index


@cache
def create_only_properties(resource_type: str, region: str = DEFAULT_REGION) -> tuple[tuple[str, ...], ...]:
    """The create-only property paths of `resource_type`, each as a tuple of keys (``*`` = every list item).

    An unknown type (a custom resource, a third-party type) has none: its changes are reported as updates.
    """
    schema_id = _provider_index(region).get(resource_type)
    if schema_id is None:
        return ()
    schema_file = _schemas_root().joinpath("resources", f"{schema_id}.json")
    schema: dict[str, Any] = json.loads(schema_file.read_text(encoding="utf-8"))
    paths = []
    for pointer in schema.get("createOnlyProperties", []):
        parts = tuple(part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:])
        if parts and parts[0] == "properties":
            paths.append(parts[1:])
    return tuple(paths)


def values_at(properties: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """Every value under `path` in `properties` (a template resource's Properties); missing keys yield None."""
    if not path:
        yield properties
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(properties, list):
            for item in properties:
                yield from values_at(item, rest)
        else:
            yield None
    elif isinstance(properties, dict):
        yield from values_at(properties.get(head), rest)
    else:
        yield None


def changed_create_only_paths(
    resource_type: str, old_properties: dict[str, Any], new_properties: dict[str, Any], region: str = DEFAULT_REGION
) -> list[str]:
    """The create-only properties (dotted) whose values differ between two versions of a resource.

    When both a create-only property and a create-only property inside it changed, only the inner one is named.
    """
    changed = [
        path
        for path in create_only_properties(resource_type, region)
        if list(values_at(old_properties, path)) != list(values_at(new_properties, path))
    ]
    return [
        ".".join(path)
        for path in changed
        if not any(len(other) > len(path) and other[: len(path)] == path for other in changed)
    ]
