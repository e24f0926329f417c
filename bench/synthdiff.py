"""Synth-and-diff engine speed: diffing and rendering large generated templates (no synth involved).

Each stack has resources of the stateful and everyday types the platform uses; the head side changes
a mutable property on 10 %, a create-only property on 2 %, an asset hash on 5 %, renames 1 % and
removes 1 % of them. Prints the time to load the resource schemas, to diff, and to render.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from sagemaker_platform.synthdiff import build_report, diff_templates, render_markdown, render_text
from sagemaker_platform.synthdiff.schemas import create_only_properties

TYPES = [
    ("AWS::S3::Bucket", {"BucketName": "b", "VersioningConfiguration": {"Status": "Enabled"}}),
    ("AWS::SQS::Queue", {"QueueName": "q", "VisibilityTimeout": 30}),
    ("AWS::IAM::Role", {"RoleName": "r", "Description": "d"}),
    ("AWS::Lambda::Function", {"FunctionName": "f", "Code": {"S3Key": "a" * 64 + ".zip"}, "MemorySize": 256}),
    ("AWS::KMS::Key", {"Description": "k", "EnableKeyRotation": True}),
]
MUTABLE = {
    "AWS::S3::Bucket": "VersioningConfiguration",
    "AWS::SQS::Queue": "VisibilityTimeout",
    "AWS::IAM::Role": "Description",
    "AWS::Lambda::Function": "MemorySize",
    "AWS::KMS::Key": "Description",
}
CREATE_ONLY = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::KMS::Key": None,
}


def generated(stacks: int, resources: int) -> tuple[dict[str, Any], dict[str, Any]]:
    base: dict[str, Any] = {}
    head: dict[str, Any] = {}
    for s in range(stacks):
        old: dict[str, Any] = {}
        for r in range(resources):
            resource_type, properties = TYPES[r % len(TYPES)]
            props = copy.deepcopy(properties)
            for key, value in props.items():
                if isinstance(value, str) and key.endswith("Name"):
                    props[key] = f"{value}-{s}-{r}"
            old[f"Res{r:05d}"] = {"Type": resource_type, "Properties": props}
        new = copy.deepcopy(old)
        for r, (logical_id, resource) in enumerate(list(new.items())):
            props = resource["Properties"]
            if r % 100 == 5:
                new[f"Renamed{r:05d}"] = new.pop(logical_id)
            elif r % 100 == 10:
                del new[logical_id]
            elif r % 50 in (20, 21) and CREATE_ONLY[resource["Type"]] is not None:
                props[CREATE_ONLY[resource["Type"]]] += "-v2"
            elif r % 20 == 5 and resource["Type"] == "AWS::Lambda::Function":
                props["Code"] = {"S3Key": "b" * 64 + ".zip"}
            elif r % 10 == 1:
                props[MUTABLE[resource["Type"]]] = {"changed": r}
        base[f"stack-{s}"] = {"Resources": old}
        head[f"stack-{s}"] = {"Resources": new}
    return base, head


def main() -> None:
    started = time.perf_counter()
    for resource_type, _ in TYPES:
        create_only_properties(resource_type)
    print(f"load create-only properties of {len(TYPES)} types from cfn-lint: {time.perf_counter() - started:.3f} s")
    for stacks, resources in ((10, 100), (20, 500), (40, 1000)):
        base, head = generated(stacks, resources)
        started = time.perf_counter()
        diffs = [diff_templates(name, base[name], head[name]) for name in sorted(base)]
        report = build_report(diffs)
        diffed = time.perf_counter() - started
        started = time.perf_counter()
        text, markdown = render_text(report), render_markdown(report)
        rendered = time.perf_counter() - started
        changes = sum(len(diff.resources) for diff in diffs)
        print(
            f"{stacks} stacks x {resources} resources: {changes} changes, {len(report.findings)} stateful "
            f"findings; diff {diffed:.3f} s, render {rendered:.3f} s ({len(text)} + {len(markdown)} chars)"
        )


if __name__ == "__main__":
    main()


run = main  # for registries that call `run()`
