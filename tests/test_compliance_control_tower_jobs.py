"""The Control Tower pack's grouped runs over reduced templates report exactly what whole templates give."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs

from sagemaker_platform import control_tower, control_tower_jobs, control_tower_runner
from sagemaker_platform.compliance_audit import CONTROL_TOWER_PACK, read_report
from sagemaker_platform.control_tower_rules import Reads, inapplicable_rules

TEMPLATE: dict[str, Any] = {
    "Parameters": {"BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>"}},
    "Resources": {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Principal": {"Fn::GetAtt": "Role.Arn"}}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"Path": {"Ref": "AWS::Region"}}},
        "Other": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "Exported": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Ref": "Lone"}}},
        "Lone": {"Type": "AWS::SSM::Parameter", "Properties": {}},
    },
    "Outputs": {"Export": {"Value": {"Fn::Join": ["", [{"Ref": "Exported"}]]}}},
}


def test_given_a_node_then_its_ref_and_get_att_targets_are_named_at_any_depth() -> None:
    assert sorted(control_tower_jobs.references(TEMPLATE["Resources"])) == ["AWS::Region", "Key", "Lone", "Role"]
    assert control_tower_jobs.resource_types(TEMPLATE) >= {"AWS::SQS::Queue", "AWS::SSM::Parameter"}


def test_given_a_template_then_it_is_reduced_to_what_the_rule_file_reads_with_the_rest_unchanged() -> None:
    queues = frozenset({"AWS::SQS::Queue"})
    only = control_tower_jobs.reduced(TEMPLATE, queues, Reads.TYPES)
    assert list(only["Resources"]) == ["Queue"]
    assert only["Resources"]["Queue"] == TEMPLATE["Resources"]["Queue"]
    assert only["Parameters"] == TEMPLATE["Parameters"] and only["Outputs"] == TEMPLATE["Outputs"]
    # Transitively (queue -> key -> role), and from the other sections (the output -> topic -> parameter).
    referenced = control_tower_jobs.reduced(TEMPLATE, queues, Reads.REFERENCES)
    assert list(referenced["Resources"]) == ["Queue", "Key", "Role", "Exported", "Lone"]
    assert control_tower_jobs.reduced(TEMPLATE, queues, Reads.TEMPLATE) == TEMPLATE


def _permissions(app: cdk.App) -> None:
    # ct-lambda-pr-2 looks the SourceArn of a permission up by key: the bucket's permission passes only because the
    # bucket is in the template (a reduction without it would report it); the permission to anyone fails.
    stack = cdk.Stack(app, "Permissions")
    function = lambda_.CfnFunction(
        stack, "Function", code=lambda_.CfnFunction.CodeProperty(zip_file="x"), role="arn:aws:iam::1:role/r"
    )
    bucket = s3.CfnBucket(stack, "Bucket")
    lambda_.CfnPermission(
        stack,
        "FromBucket",
        action="lambda:InvokeFunction",
        function_name=function.ref,
        principal="s3.amazonaws.com",
        source_arn=bucket.attr_arn,
    )
    lambda_.CfnPermission(
        stack, "FromAnyone", action="lambda:InvokeFunction", function_name=function.ref, principal="*"
    )
    sqs.CfnQueue(cdk.Stack(app, "Queue"), "Plain", sqs_managed_sse_enabled=True)
    # A template no rule file applies to: no run at all, nothing reported.
    cdk.CfnResource(cdk.Stack(app, "Handle"), "H", type="AWS::CloudFormation::WaitConditionHandle")


def _section(tmp_path: Path, *, filter_rules: bool) -> dict[str, Any]:
    outdir = tmp_path / ("filtered" if filter_rules else "all")
    app = cdk.App(outdir=str(outdir))
    _permissions(app)
    validator = control_tower.ControlTowerValidator(filter_rules=filter_rules)
    cdk.Validations.of(app).add_plugins(cast(cdk.IPolicyValidationPlugin, validator))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    (section,) = [p for p in read_report(outdir)["pluginReports"] if p["pluginName"] == CONTROL_TOWER_PACK]
    return json.loads(json.dumps(section).replace(str(outdir), "<out>"))


def test_given_a_finding_that_needs_a_referenced_resource_then_the_reduced_runs_report_what_the_full_pack_does(
    tmp_path: Path,
) -> None:
    filtered = _section(tmp_path, filter_rules=True)
    full = _section(tmp_path, filter_rules=False)
    permissions = [
        construct["constructPath"]
        for violation in full["violations"]
        if violation["ruleName"] == "lambda_function_public_access_prohibited_check"
        for construct in violation["violatingConstructs"]
    ]
    assert permissions == ["Permissions/FromAnyone"]
    assert filtered == full


@pytest.mark.parametrize("assembly", ["default_assembly", "multi_account_assembly"])
def test_given_a_shipped_config_then_the_grouped_runs_report_what_each_whole_template_gives(
    request: pytest.FixtureRequest, assembly: str
) -> None:
    # Every template of the assembly (nested stacks too), each whole with the rule files of its types (the
    # stock plugin's findings: test_compliance_control_tower.py), against the grouped runs on reduced copies.
    directory = Path(request.getfixturevalue(assembly).directory)
    templates = {str(path): json.loads(path.read_text()) for path in sorted(directory.rglob("*.template.json"))}
    skipped = {path: inapplicable_rules(control_tower_jobs.resource_types(t)) for path, t in templates.items()}
    # A template no rule file applies to has nothing to report (cfn-guard refuses a run without rules).
    applicable = [path for path in templates if len(skipped[path]) < 237]
    jobs = [control_tower_runner.Job((path,), tuple(skipped[path])) for path in applicable]
    whole = dict(zip(applicable, control_tower_runner.run(jobs), strict=True))
    grouped = control_tower_jobs.reports(templates)
    assert sum(len(report["violations"]) for report in whole.values()) > 20  # the acknowledged findings
    assert grouped == [whole.get(path, {"success": True, "violations": []}) for path in templates]


def test_given_runs_then_each_template_gets_its_violations_in_rule_file_order_at_its_own_path() -> None:
    def violation(rule: str, data: str) -> dict[str, Any]:
        resource = {"locations": ["/Resources/R"], "resourceLogicalId": "R", "templatePath": data}
        return {"ruleName": rule, "description": rule, "violatingResources": [resource]}

    # Template B has violations from two runs; cfn-guard's order puts the s3 file before the sqs one.
    results = [
        {"success": False, "violations": [violation("sqs_dlq_check", "b.json"), violation("sqs_dlq_check", "a.json")]},
        {"success": False, "violations": [violation("s3_bucket_logging_enabled_check", "c.json")]},
        {"success": False, "violations": []},  # a failure on no resource fails its templates
    ]
    origins = [{"a.json": 0, "b.json": 1}, {"c.json": 1}, {"d.json": 2}]
    joined = control_tower_jobs._joined(["A", "B", "C"], origins, results)
    assert [[v["ruleName"] for v in report["violations"]] for report in joined] == [
        ["sqs_dlq_check"],
        ["s3_bucket_logging_enabled_check", "sqs_dlq_check"],
        [],
    ]
    assert {r["templatePath"] for v in joined[1]["violations"] for r in v["violatingResources"]} == {"B"}
    assert [report["success"] for report in joined] == [False, False, False]
