"""Resource-level diff of two synthesized templates, with CloudFormation's replacement verdict.

Plain functions over plain template dicts: `diff_templates(stack, old, new)` returns one
`ResourceChange` per added, removed, modified or renamed resource. A modified resource is replaced
when its type changes or a create-only property changes (see `schemas`); a construct whose ID
changed (same type, same properties, new logical ID) is reported as renamed, which CloudFormation
carries out as create-new-then-delete-old: a replacement.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from sagemaker_platform.synthdiff.schemas import (
    DEFAULT_REGION,
    changed_create_only_paths,
    create_only_properties,
    values_at,
)

# Resource types whose deletion or replacement loses data or identity (users' homes, registered models, images).
STATEFUL_TYPES = frozenset(
    {
        "AWS::SageMaker::Domain",
        "AWS::SageMaker::UserProfile",
        "AWS::SageMaker::ModelPackageGroup",
        "AWS::S3::Bucket",
        "AWS::KMS::Key",
        "AWS::DynamoDB::Table",
        "AWS::EFS::FileSystem",
        "AWS::ECR::Repository",
    }
)

NESTED_STACK_TYPE = "AWS::CloudFormation::Stack"
# Never deployed as a change of the platform: the CDK's version-reporting resource.
_IGNORED_TYPES = frozenset({"AWS::CDK::Metadata"})
# Resource attributes other than Properties that a change can touch.
_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Condition")
# CDK asset hashes (sha256 hex) in S3 keys, image tags and nested-stack template URLs.
_ASSET_HASH = re.compile(r"[0-9a-f]{64}")


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    RENAMED = "renamed"


@dataclass(frozen=True)
class PropertyChange:
    """One changed top-level property (or resource attribute such as DeletionPolicy).

    `asset_only`: the only difference is a CDK asset hash: the code or file behind the asset changed.
    """

    name: str
    old: Any
    new: Any
    asset_only: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} (asset: code changed)" if self.asset_only else self.name


@dataclass(frozen=True)
class ResourceChange:
    """One resource that differs between the base and the new template of a stack."""

    stack: str
    logical_id: str
    resource_type: str
    kind: ChangeKind
    construct_path: str | None = None
    properties: tuple[PropertyChange, ...] = ()
    replacement_reasons: tuple[str, ...] = ()
    old_logical_id: str | None = None
    """For a rename: the logical ID in the base template (`logical_id` is the new one)."""
    retained: bool = False
    """The old resource has DeletionPolicy Retain: removing it from the stack orphans it instead of deleting it."""
    kept_name: str | None = None
    """For a replacement: the custom-name property (e.g. ``JobDefinitionName``) that keeps its value, which
    CloudFormation refuses ("cannot update a stack when a custom-named resource requires replacing")."""

    @property
    def replaced(self) -> bool:
        return bool(self.replacement_reasons)

    @property
    def stateful(self) -> bool:
        return self.resource_type in STATEFUL_TYPES

    @property
    def destroys(self) -> bool:
        """The resource as it exists today goes away (deleted, orphaned or replaced)."""
        return self.kind is ChangeKind.REMOVED or self.replaced

    @property
    def logical_ids(self) -> tuple[str, ...]:
        """Every logical ID an acknowledgment may name for this change."""
        return (self.logical_id,) if self.old_logical_id is None else (self.old_logical_id, self.logical_id)

    def danger(self) -> str | None:
        """Why this change loses a stateful resource or cannot deploy, or None when neither."""
        if self.replaced and self.kept_name is not None:
            return (
                f"{self.resource_type} must be replaced but keeps its custom name ({self.kept_name}): "
                "CloudFormation refuses the update; change the name with what forces the replacement ("
                + "; ".join(self.replacement_reasons)
                + ")"
            )
        if not self.stateful or not self.destroys:
            return None
        if self.kind is ChangeKind.REMOVED:
            fate = (
                "orphaned (DeletionPolicy Retain: it stays in the account outside any stack)"
                if self.retained
                else "deleted with its data"
            )
            return f"{self.resource_type} removed from the template: it will be {fate}"
        return f"{self.resource_type} will be replaced (a new one is created, the old one removed): " + "; ".join(
            self.replacement_reasons
        )


@dataclass(frozen=True)
class OutputChange:
    name: str
    kind: ChangeKind


@dataclass
class StackDiff:
    """The changes of one stack (a nested stack is its own `StackDiff`, named `<parent>/<logical id>`)."""

    stack: str
    status: ChangeKind | None = None
    """ADDED or REMOVED when the whole stack is new or gone; None when it exists on both sides."""
    resources: list[ResourceChange] = field(default_factory=list)
    outputs: list[OutputChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status is not None or bool(self.resources) or bool(self.outputs)


def diff_templates(
    stack: str, old: dict[str, Any] | None, new: dict[str, Any] | None, *, region: str = DEFAULT_REGION
) -> StackDiff:
    """Compare two CloudFormation templates of `stack` (None: the stack does not exist on that side)."""
    status = ChangeKind.ADDED if old is None else ChangeKind.REMOVED if new is None else None
    old_resources = _resources(old)
    new_resources = _resources(new)
    removed = sorted(set(old_resources) - set(new_resources))
    added = sorted(set(new_resources) - set(old_resources))
    renames = _pair_renames(removed, added, old_resources, new_resources)
    changes = [
        _change(
            stack,
            new_id,
            new_resources[new_id],
            ChangeKind.RENAMED,
            old=old_resources[old_id],
            old_logical_id=old_id,
            replacement_reasons=(f"logical ID changed from {old_id} (construct ID or path renamed)",),
        )
        for old_id, new_id in renames.items()
    ]
    changes += [
        _change(stack, logical_id, old_resources[logical_id], ChangeKind.REMOVED, old=old_resources[logical_id])
        for logical_id in removed
        if logical_id not in renames
    ]
    renamed_to = set(renames.values())
    changes += [
        _change(stack, logical_id, new_resources[logical_id], ChangeKind.ADDED)
        for logical_id in added
        if logical_id not in renamed_to
    ]
    modified: dict[str, ResourceChange] = {}
    for logical_id in sorted(set(old_resources) & set(new_resources)):
        change = _modified(stack, logical_id, old_resources[logical_id], new_resources[logical_id], region)
        if change is not None:
            modified[logical_id] = change
    _cascade_replacements(stack, modified, old_resources, new_resources, region)
    changes += modified.values()
    changes.sort(key=lambda change: change.logical_id)
    return StackDiff(stack=stack, status=status, resources=changes, outputs=_outputs_diff(old, new))


def _change(
    stack: str,
    logical_id: str,
    resource: dict[str, Any],
    kind: ChangeKind,
    *,
    old: dict[str, Any] | None = None,
    **details: Any,
) -> ResourceChange:
    """A change of `resource` (as it is after the change, or before for a removal); `old`: before, if it existed."""
    return ResourceChange(
        stack=stack,
        logical_id=logical_id,
        resource_type=resource["Type"],
        kind=kind,
        construct_path=_construct_path(resource),
        retained=old is not None and old.get("DeletionPolicy") == "Retain",
        **details,
    )


def _resources(template: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    if template is None:
        return {}
    return {
        logical_id: resource
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") not in _IGNORED_TYPES
    }


def _construct_path(resource: dict[str, Any]) -> str | None:
    path = resource.get("Metadata", {}).get("aws:cdk:path")
    return path if isinstance(path, str) else None


def _mask(value: Any) -> str:
    return _ASSET_HASH.sub("<asset-hash>", json.dumps(value, sort_keys=True))


def _pair_renames(
    removed: list[str], added: list[str], old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """Removed -> added logical IDs of resources that are the same resource under a new ID.

    Same type and the same properties (asset hashes aside): the construct was renamed or moved.
    """
    renames: dict[str, str] = {}
    candidates = {new_id: (new[new_id]["Type"], _mask(new[new_id].get("Properties", {}))) for new_id in added}
    for old_id in removed:
        signature = (old[old_id]["Type"], _mask(old[old_id].get("Properties", {})))
        match = next((new_id for new_id, sig in candidates.items() if sig == signature), None)
        if match is not None:
            renames[old_id] = match
            del candidates[match]
    return renames


def _modified(
    stack: str, logical_id: str, old: dict[str, Any], new: dict[str, Any], region: str
) -> ResourceChange | None:
    modified = functools.partial(_change, stack, logical_id, new, ChangeKind.MODIFIED, old=old)
    if old["Type"] != new["Type"]:
        return modified(replacement_reasons=(f"resource type changed from {old['Type']}",))
    old_props: dict[str, Any] = old.get("Properties", {})
    new_props: dict[str, Any] = new.get("Properties", {})
    changed = [
        PropertyChange(
            name=name,
            old=old_props.get(name),
            new=new_props.get(name),
            asset_only=_mask(old_props.get(name)) == _mask(new_props.get(name)),
        )
        for name in sorted(set(old_props) | set(new_props))
        if old_props.get(name) != new_props.get(name)
    ]
    changed.extend(
        PropertyChange(name=attribute, old=old.get(attribute), new=new.get(attribute))
        for attribute in _ATTRIBUTES
        if old.get(attribute) != new.get(attribute)
    )
    if not changed:
        return None
    create_only = changed_create_only_paths(new["Type"], old_props, new_props, region)
    return modified(
        properties=tuple(changed),
        replacement_reasons=tuple(f"create-only property {path} changed" for path in create_only),
        kept_name=_kept_custom_name(new["Type"], old_props, new_props, region) if create_only else None,
    )


def _kept_custom_name(resource_type: str, old: dict[str, Any], new: dict[str, Any], region: str) -> str | None:
    """The top-level create-only `...Name` property both sides set to the same value (a custom physical name)."""
    for path in create_only_properties(resource_type, region):
        if len(path) == 1 and path[0].endswith("Name") and path[0] in new and old.get(path[0]) == new[path[0]]:
            return path[0]
    return None


def _cascade_replacements(
    stack: str,
    modified: dict[str, ResourceChange],
    old_resources: dict[str, dict[str, Any]],
    new_resources: dict[str, dict[str, Any]],
    region: str,
) -> None:
    """Replacements that follow from others: a create-only property that refers (Ref, GetAtt, Sub) to a
    resource being replaced gets a new value at deploy time, although its template text is unchanged
    (a user profile's DomainId when the domain is replaced). Repeats until nothing new is replaced.
    """
    replaced = {logical_id for logical_id, change in modified.items() if change.replaced}
    found = True
    while found:
        found = False
        for logical_id in sorted(set(old_resources) & set(new_resources)):
            if logical_id in replaced:
                continue
            resource = new_resources[logical_id]
            reason = _replaced_reference(resource, replaced, region)
            if reason is None:
                continue
            replaced.add(logical_id)
            found = True
            existing = modified.get(logical_id)
            modified[logical_id] = (
                replace(existing, replacement_reasons=(*existing.replacement_reasons, reason))
                if existing is not None
                else _change(
                    stack,
                    logical_id,
                    resource,
                    ChangeKind.MODIFIED,
                    old=old_resources[logical_id],
                    replacement_reasons=(reason,),
                )
            )


def _replaced_reference(resource: dict[str, Any], replaced: set[str], region: str) -> str | None:
    properties = resource.get("Properties", {})
    for path in create_only_properties(resource["Type"], region):
        for value in values_at(properties, path):
            hit = sorted(references(value) & replaced)
            if hit:
                return f"create-only property {'.'.join(path)} refers to {hit[0]}, which is replaced"
    return None


_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(value: Any) -> set[str]:
    """Logical IDs that `value` (a template fragment) refers to with Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    found.add(target.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    found.update(_SUB_REFERENCE.findall(text))
                found |= references(inner[1] if isinstance(inner, list) and len(inner) > 1 else None)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def _outputs_diff(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[OutputChange]:
    old_outputs = (old or {}).get("Outputs", {})
    new_outputs = (new or {}).get("Outputs", {})
    changes = [OutputChange(name, ChangeKind.REMOVED) for name in old_outputs if name not in new_outputs]
    changes += [OutputChange(name, ChangeKind.ADDED) for name in new_outputs if name not in old_outputs]
    changes += [
        OutputChange(name, ChangeKind.MODIFIED)
        for name in old_outputs
        if name in new_outputs and old_outputs[name] != new_outputs[name]
    ]
    return sorted(changes, key=lambda change: change.name)
