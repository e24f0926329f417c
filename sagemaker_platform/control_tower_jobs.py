"""The Control Tower pack's cfn-guard runs: one per group of rule files, over what they read of each template.

cfn-guard's cost grows with the rule files it evaluates times the size of the data it evaluates them on, and most
rule files read only a few resources of a template (`sagemaker_platform.control_tower_rules`). So the rule files
that read the same part of a template (same resource types, same `Reads`) form a group, and each group gets
one run of the plugin's own code over every template it applies to, each template reduced to what the group
reads: the resources of its types, plus for `Reads.REFERENCES` every resource they (or any section of the
template other than `Resources`) reference by `Ref` or `Fn::GetAtt`, transitively. Everything else of the
template stays as it is, and a resource keeps its logical id and content, so each violation has the JSON path
it has in the whole template. The reduced copies are written to a temporary folder; each violation's
`templatePath` is mapped back to the real template, and the violations of each template are put in the order
the stock plugin reports them (per template in the order given, rule files in cfn-guard's order, each file's
violations in the order cfn-guard gave them), so the report is the one the plugin makes by itself.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sagemaker_platform.control_tower_rules import Reads, RuleFile, bundled_rule_files, rule_file_of
from sagemaker_platform.control_tower_runner import Job, run

Template = Mapping[str, Any]


def resource_types(template: Template) -> frozenset[str]:
    """Every resource type in a CloudFormation template."""
    return frozenset(str(resource.get("Type")) for resource in template.get("Resources", {}).values())


def references(node: object) -> Iterator[str]:
    """The logical ids `node` names by `Ref` or `Fn::GetAtt` (list or `"Id.Attribute"` form), at any depth."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt" and isinstance(value, list) and value and isinstance(value[0], str):
                yield value[0]
            elif key == "Fn::GetAtt" and isinstance(value, str):
                yield value.split(".", 1)[0]
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


def reduced(template: Template, types: frozenset[str], reads: Reads) -> dict[str, Any]:
    """`template` with only the resources a rule file selecting `types` that `reads` so can read, in their order."""
    if reads is Reads.TEMPLATE:
        return dict(template)
    resources: Mapping[str, Mapping[str, Any]] = template.get("Resources", {})
    kept = {logical_id for logical_id, resource in resources.items() if resource.get("Type") in types}
    if reads is Reads.REFERENCES:
        # A key looked up may come from the kept resources, from those they reference, and from any other section.
        pending = [*kept, *references({key: value for key, value in template.items() if key != "Resources"})]
        kept = set()
        while pending:
            logical_id = pending.pop()
            if logical_id in resources and logical_id not in kept:
                kept.add(logical_id)
                pending.extend(references(resources[logical_id]))
    return {**template, "Resources": {key: value for key, value in resources.items() if key in kept}}


def reports(templates: Mapping[str, Template]) -> list[dict[str, Any]]:
    """The plugin's report (`{"success", "violations"}`) for each template (path -> parsed template), in order."""
    rule_files = bundled_rule_files()
    groups: dict[tuple[frozenset[str] | None, Reads], list[RuleFile]] = defaultdict(list)
    for rule_file in rule_files:
        groups[(rule_file.types, rule_file.reads)].append(rule_file)
    paths = list(templates)
    present = [resource_types(templates[path]) for path in paths]
    with tempfile.TemporaryDirectory(prefix="control-tower-") as folder:
        jobs: list[Job] = []
        origins: list[dict[str, int]] = []  # per job: data file -> index of its template
        for (types, reads), members in groups.items():
            origin: dict[str, int] = {}
            size = 0
            for index, path in enumerate(paths):
                template = templates[path]
                if not members[0].applies_to(present[index]):  # the members share their types
                    continue
                if types is None or reads is Reads.TEMPLATE:  # the template as it is
                    data, size = path, size + len(json.dumps(template))
                else:
                    text = json.dumps(reduced(template, types, reads), separators=(",", ":"))
                    data = str(Path(folder) / f"{len(jobs)}-{index}.json")
                    Path(data).write_text(text)
                    size += len(text)
                origin[data] = index
            if origin:
                enabled = {rule_file.name for rule_file in members}
                disabled = tuple(rule_file.name for rule_file in rule_files if rule_file.name not in enabled)
                # cfn-guard's cost grows with the rule files evaluated times the size of the data.
                jobs.append(Job(tuple(origin), disabled, weight=len(members) * size))
                origins.append(origin)
        return _joined(paths, origins, run(jobs))


def _joined(
    paths: Sequence[str], origins: Sequence[Mapping[str, int]], results: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each template's violations from the runs' `results`, in the stock plugin's order, at the template's path."""
    found: list[list[tuple[int, int, int, dict[str, Any]]]] = [[] for _ in paths]
    failed: set[int] = set()
    for run_index, (origin, result) in enumerate(zip(origins, results, strict=True)):
        violations = result.get("violations", [])
        if not result.get("success", True) and not violations:
            failed.update(origin.values())  # a failure cfn-guard reported on no resource: its templates failed
        for position, violation in enumerate(violations):
            index = origin[violation["violatingResources"][0]["templatePath"]]
            resources = [{**resource, "templatePath": paths[index]} for resource in violation["violatingResources"]]
            rule_file = rule_file_of(violation["ruleName"])
            # A rule name no bundled file reports (none today) goes after the files, in the order of the runs.
            order = len(bundled_rule_files()) if rule_file is None else rule_file
            found[index].append((order, run_index, position, {**violation, "violatingResources": resources}))
    return [
        {
            "success": not violations and index not in failed,
            "violations": [item[3] for item in sorted(violations, key=lambda item: item[:3])],
        }
        for index, violations in enumerate(found)
    ]
