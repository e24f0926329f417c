"""The Control Tower pack evaluates only the rule files that can apply, and reports exactly what the full pack does."""

from __future__ import annotations

import json
import os
import platform
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aws_cdk as cdk
import jsii
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks

from sagemaker_platform import control_tower, control_tower_jobs, control_tower_rules, control_tower_runner
from sagemaker_platform.compliance import CONTROL_TOWER, acknowledge, add_compliance_gate
from sagemaker_platform.compliance_audit import CONTROL_TOWER_PACK, read_report

# Reading the rule files: test_compliance_control_tower_rules.py; grouped runs: test_compliance_control_tower_jobs.py


# --- the pack on small apps --------------------------------------------------------------------------------


def _queue_bucket_key(app: cdk.App) -> None:
    # Findings in three services, one of them acknowledged (so the report has both sections).
    stack = cdk.Stack(app, "Canary")
    queue = sqs.CfnQueue(stack, "Plain", sqs_managed_sse_enabled=True)
    acknowledge(queue, {f"{CONTROL_TOWER}sqs_dlq_check": "canary: a queue without a dead-letter queue"})
    s3.CfnBucket(stack, "Bucket")
    kms.CfnKey(stack, "Key", key_policy={"Version": "2012-10-17", "Statement": []})
    # A second template, so that the joined report's order across templates is compared too.
    second = cdk.Stack(app, "Second")
    sqs.CfnQueue(second, "Plain", sqs_managed_sse_enabled=True)
    s3.CfnBucket(second, "Bucket")


def _control_tower_report(tmp_path: Path, build: Any, *, filter_rules: bool) -> dict[str, Any]:
    """The Control Tower section of validation-report.json for an app with only that pack (cdk-nag off)."""
    outdir = tmp_path / ("filtered" if filter_rules else "all")
    app = cdk.App(outdir=str(outdir))
    build(app)
    cdk.Validations.of(app).add_plugins(control_tower.ControlTowerValidator(filter_rules=filter_rules))
    try:
        app.synth()
    except RuntimeError as failed:  # open findings fail synth; the report is written first
        assert "ValidationFailed" in str(failed)
    (section,) = [p for p in read_report(outdir)["pluginReports"] if p["pluginName"] == CONTROL_TOWER_PACK]
    return section


def test_given_one_acknowledged_finding_then_the_other_open_findings_still_fail_synth(tmp_path: Path) -> None:
    # aws-cdk-lib recomputes a pack's success from severities once an acknowledgment suppresses anything;
    # cfn-guard states none, so without `as_errors` this app (open bucket and key findings) synthesized.
    app = cdk.App(outdir=str(tmp_path))
    _queue_bucket_key(app)
    cdk.Validations.of(app).add_plugins(control_tower.ControlTowerValidator())
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    (section,) = [p for p in read_report(tmp_path)["pluginReports"] if p["pluginName"] == CONTROL_TOWER_PACK]
    assert section["violations"] and section["suppressedViolations"]
    assert {v.get("severity") for v in section["violations"]} == {"error"}


def _normalized(section: dict[str, Any], tmp_path: Path) -> str:
    return (
        json.dumps(section, sort_keys=True)
        .replace(str(tmp_path / "filtered"), "<out>")
        .replace(str(tmp_path / "all"), "<out>")
    )


def test_given_findings_then_the_filtered_pack_reports_exactly_what_the_full_pack_does(tmp_path: Path) -> None:
    filtered = _control_tower_report(tmp_path, _queue_bucket_key, filter_rules=True)
    full = _control_tower_report(tmp_path, _queue_bucket_key, filter_rules=False)
    rules = {v["ruleName"] for v in full["violations"]}
    assert {"sqs_queue_encrypted_check", "s3_bucket_versioning_enabled_check"} & rules, rules
    assert {v["ruleName"] for v in full["suppressedViolations"]} == {"sqs_dlq_check"}
    assert _normalized(filtered, tmp_path) == _normalized(full, tmp_path)


def test_given_an_app_then_each_rule_file_runs_once_only_on_the_templates_with_its_types(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded: list[control_tower_runner.Job] = []

    def recording(jobs: list[control_tower_runner.Job]) -> list[dict[str, Any]]:
        recorded.extend(jobs)
        return control_tower_runner.run(jobs)

    monkeypatch.setattr(control_tower_jobs, "run", recording)
    _control_tower_report(tmp_path, _queue_bucket_key, filter_rules=True)
    names = [rule.name for rule in control_tower_rules.bundled_rule_files()]
    enabled = [set(names) - set(job.disabled_rules) for job in recorded]
    runs = {
        name: [len(job.template_paths) for job, rules in zip(recorded, enabled, strict=True) if name in rules]
        for name in names
    }
    # The queue's and the bucket's rule files run once over both templates, the key's over the one with a key.
    assert runs["ct-sqs-pr-1"] == [2] and runs["ct-s3-pr-1"] == [2] and runs["ct-kms-pr-1"] == [1]
    assert runs["ct-eks-pr-1"] == runs["ct-eks-pr-2"] == runs["ct-lambda-pr-3"] == runs["ct-iam-pr-1"] == []
    assert sum(len(rules) for rules in enabled) < 30
    # Each run gets reduced copies of the templates, never the templates themselves.
    assert all(Path(path).parent != tmp_path / "filtered" for job in recorded for path in job.template_paths)


def test_given_jobs_then_the_reports_come_back_in_job_order_whatever_the_workers(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    _queue_bucket_key(app)
    app.synth()
    templates = sorted(str(path) for path in tmp_path.glob("*.template.json"))
    jobs = [
        control_tower_runner.Job((path,), weight=weight)
        for path, weight in zip(templates * 2, [1, 5, 2, 4], strict=True)
    ]
    one = control_tower_runner.run(jobs, workers=1)
    assert [r["violations"][0]["violatingResources"][0]["templatePath"] for r in one] == templates * 2
    assert control_tower_runner.run(jobs, workers=3) == one


# A stand-in for the plugin's worker: each "template" says how long its run takes; the report names the process.
_TIMED_WORKER = """
const fs = require('fs');
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [path] = JSON.parse(line).templatePaths;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, JSON.parse(fs.readFileSync(path, 'utf-8')).ms);
  process.stdout.write(JSON.stringify({ worker: process.pid, path }) + '\\n');
});
"""


def test_given_a_job_slower_than_its_weight_says_then_the_other_worker_takes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Weights are estimates: cfn-guard spends far longer per byte on some rule files (the IAM policy ones) than
    # on others. Jobs handed out in fixed bins left one worker with the slow job and its share of the rest.
    monkeypatch.setattr(control_tower_runner, "_WORKER", _TIMED_WORKER)
    seconds = {"heaviest": 0.05, "slow": 2.0, "a": 0.05, "b": 0.05, "c": 0.05}
    weights = {"heaviest": 10, "slow": 9, "a": 1, "b": 1, "c": 1}
    for name, duration in seconds.items():
        (tmp_path / name).write_text(json.dumps({"ms": int(duration * 1000)}))
    jobs = [control_tower_runner.Job((str(tmp_path / name),), weight=weights[name]) for name in seconds]
    reports = control_tower_runner.run(jobs, workers=2)
    assert [report["path"] for report in reports] == [str(tmp_path / name) for name in seconds]  # in job order
    by_worker = {report["worker"]: [] for report in reports}
    for name, report in zip(seconds, reports, strict=True):
        by_worker[report["worker"]].append(name)
    # The worker that drew the slow job ran only that one; the other took every job handed out meanwhile.
    assert sorted(by_worker.values()) == [["heaviest", "a", "b", "c"], ["slow"]]


def test_given_a_template_the_plugin_cannot_read_then_the_run_fails_with_its_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken.template.json"
    broken.write_text("{ not json")
    with pytest.raises(RuntimeError, match=r"(?s)the Control Tower pack failed:.*CfnGuardValidator plugin failed"):
        control_tower_runner.run([control_tower_runner.Job((str(broken),))])


def test_given_a_template_without_any_rules_type_then_no_bundled_rule_finds_anything_in_it(tmp_path: Path) -> None:
    # The premise of the filter: a rule file reports only resources of the types it selects. The queue stack
    # has a finding, so the full pack ran (a passing pack leaves no section in the report).
    def build(app: cdk.App) -> None:
        cdk.CfnResource(cdk.Stack(app, "Handle"), "H", type="AWS::CloudFormation::WaitConditionHandle")
        sqs.CfnQueue(cdk.Stack(app, "Queue"), "Plain", sqs_managed_sse_enabled=True)

    report = _control_tower_report(tmp_path, build, filter_rules=False)
    stacks = {
        resource["constructPath"].split("/")[0]
        for violation in report["violations"]
        for resource in violation["violatingConstructs"]
    }
    assert stacks == {"Queue"}


def test_given_the_filtered_plugin_then_it_keeps_the_name_and_rule_ids_of_the_full_pack() -> None:
    validator = control_tower.ControlTowerValidator()
    assert validator.name == CONTROL_TOWER_PACK
    assert len(validator.rule_ids or []) == 237


@pytest.fixture
def fresh_plugin_dir() -> Any:
    control_tower_runner.plugin_dir.cache_clear()
    yield control_tower_runner.plugin_dir
    control_tower_runner.plugin_dir.cache_clear()  # later tests unpack (or find) it where the real env says


def test_given_an_empty_cache_then_the_plugin_is_unpacked_once_with_a_runnable_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugin_dir: Any
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    package = fresh_plugin_dir()
    assert package.is_relative_to(tmp_path / "sagemaker-platform")
    assert len(list((package / "rules").rglob("*.guard"))) == 237
    (guard,) = [path for path in (package / "bin").rglob("cfn-guard") if path.parent.name == platform.machine()]
    assert os.access(guard, os.X_OK)
    assert [entry.name for entry in (tmp_path / "sagemaker-platform").iterdir()] == [package.parent.name]
    fresh_plugin_dir.cache_clear()
    assert fresh_plugin_dir() == package  # found, not unpacked again


def test_given_no_writable_cache_then_the_plugin_is_unpacked_for_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugin_dir: Any
) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(not_a_folder))
    package = fresh_plugin_dir()
    assert not package.is_relative_to(tmp_path) and (package / "lib" / "plugin.js").is_file()


# --- the pack beside the cdk-nag packs ---------------------------------------------------------------------


def _recorded_reports(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """(thread, template names) of each call of the Control Tower pack's runs, from now on."""
    calls: list[tuple[str, list[str]]] = []
    reports = control_tower.reports

    def recording(templates: dict[str, Any]) -> list[dict[str, Any]]:
        calls.append((threading.current_thread().name, [Path(path).name for path in templates]))
        return reports(templates)

    monkeypatch.setattr(control_tower, "reports", recording)
    return calls


def _gate_report(outdir: Path, register: Any) -> str:
    """validation-report.json of the queue/bucket/key app with the plugins `register(app)` adds, paths masked."""
    app = cdk.App(outdir=str(outdir))
    _queue_bucket_key(app)
    register(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):  # open findings in every pack
        app.synth()
    return (outdir / "validation-report.json").read_text().replace(str(outdir), "<out>")


def test_given_the_gate_then_cfn_guard_runs_beside_the_cdk_nag_packs_and_the_report_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _recorded_reports(monkeypatch)
    gated = _gate_report(tmp_path / "gate", lambda app: add_compliance_gate(app, control_tower=True))
    # Started by the watcher once the templates are written, in a thread of its own, not by the Control Tower pack.
    assert calls == [("control-tower-watch", ["Canary.template.json", "Second.template.json"])], calls
    plain = _gate_report(
        tmp_path / "plain",
        lambda app: cdk.Validations.of(app).add_plugins(
            AwsSolutionsChecks(app),
            HIPAASecurityChecks(app),
            NIST80053R5Checks(app),
            cast(cdk.IPolicyValidationPlugin, control_tower.ControlTowerValidator()),
        ),
    )
    assert calls[1:] == [("MainThread", ["Canary.template.json", "Second.template.json"])]
    sections = [section["pluginName"] for section in json.loads(gated)["pluginReports"]]
    assert sections == ["AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", CONTROL_TOWER_PACK]
    assert gated == plain


def test_given_an_app_with_a_stage_and_a_nested_stack_then_the_stack_templates_are_what_the_plugins_get(
    tmp_path: Path,
) -> None:
    app = cdk.App(outdir=str(tmp_path))
    top = cdk.Stack(app, "Top")
    sqs.CfnQueue(cdk.NestedStack(top, "Nested"), "Queue")
    stage = cdk.Stage(app, "Stage")
    sqs.CfnQueue(cdk.Stack(stage, "Inner"), "Queue")
    seen: list[list[str]] = []

    @jsii.implements(cdk.IPolicyValidationPlugin)
    class Recording:
        name, version, rule_ids = "recording", None, None

        def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
            seen.append(sorted(context.template_paths))
            return cdk.PolicyValidationPluginReport(success=True, violations=[])

    cdk.Validations.of(app).add_plugins(Recording())
    app.synth()
    # The nested stack's template is written, but it is not a stack artifact: no plugin is given it.
    assert list(tmp_path.glob("*.nested.template.json"))
    assert seen == [sorted(control_tower.stack_template_paths(str(tmp_path)))]
    top_template, inner_template = sorted(seen[0], key=len)
    assert top_template == str(tmp_path / "Top.template.json")
    assert Path(inner_template).parent == tmp_path / "assembly-Stage"


def test_given_a_template_changed_after_the_watcher_read_it_then_validate_validates_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = cdk.App(outdir=str(tmp_path / "source"))
    _queue_bucket_key(app)
    source = Path(app.synth().directory)
    validated = _recorded_reports(monkeypatch)
    outdir = tmp_path / "watched"
    validator = control_tower.ControlTowerValidator()
    validator.watch(str(outdir))
    # The assembly as aws-cdk-lib writes it: the templates, then the manifest.
    outdir.mkdir()
    for name in ("Canary.template.json", "Second.template.json"):
        (outdir / name).write_bytes((source / name).read_bytes())
    (outdir / "manifest.json").write_bytes((source / "manifest.json").read_bytes())
    assert validator._watched is not None
    validator._watched[1].result(timeout=300)  # the watcher is done: it has seen the manifest
    # A template that changes afterwards: its early report no longer stands for it.
    second = outdir / "Second.template.json"
    second.write_text(json.dumps({"Resources": {}}))
    paths = [str(outdir / "Canary.template.json"), str(second)]
    context = cast(cdk.IPolicyValidationContextBeta1, SimpleNamespace(template_paths=paths))
    report = validator.validate(context)
    assert validated == [
        ("control-tower-watch", ["Canary.template.json", "Second.template.json"]),
        ("MainThread", ["Second.template.json"]),
    ]
    assert {resource.template_path for v in report.violations for resource in v.violating_resources} == {paths[0]}
