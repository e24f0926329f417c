"""Synth-and-diff: two small CDK apps that differ by one change of each kind, and every verdict."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from sagemaker_platform.errors import ConfigError
from sagemaker_platform.synthdiff import (
    ChangeKind,
    Report,
    ResourceChange,
    build_report,
    diff_assemblies,
    diff_templates,
    load_acknowledgments,
    render_markdown,
    render_text,
)
from sagemaker_platform.synthdiff.__main__ import run
from sagemaker_platform.synthdiff.assembly import CLI_CONTEXT
from tests.support import REPO_ROOT

STACK = "synthdiff-demo"
NESTED = "synthdiff-demo/DeepNestedStackDeepNestedStackResource521F28B7"


def synth_demo(outdir: Path, handler_dir: Path, *, head: bool) -> Path:
    """The base app (head=False) or the head app: one change of each kind between them."""
    app = cdk.App(outdir=str(outdir), context=dict(CLI_CONTEXT))
    stack = cdk.Stack(app, "Demo", stack_name=STACK)
    # mutable property: VisibilityTimeout is updated in place
    sqs.Queue(stack, "Jobs", visibility_timeout=cdk.Duration.seconds(60 if head else 30))
    # create-only property: BucketName replaces the bucket (stateful: blocks)
    s3.Bucket(stack, "Archive", bucket_name="synthdiff-archive-b" if head else "synthdiff-archive-a")
    # renamed construct ID: a new logical ID, so CloudFormation replaces the topic
    sns.Topic(stack, "Alarms" if head else "Alerts", display_name="alerts")
    # removed bucket (stateful: blocks)
    if not head:
        s3.Bucket(stack, "Logs")
    # asset change: only the hash of the handler code differs
    lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(handler_dir)),
    )
    # a nested stack: one bucket kept, one removed (stateful, inside a nested stack: blocks)
    nested = cdk.NestedStack(stack, "Deep")
    s3.Bucket(nested, "Kept")
    if not head:
        s3.Bucket(nested, "Scratch", removal_policy=cdk.RemovalPolicy.DESTROY)
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("synthdiff")
    dirs = []
    for name, head in (("base", False), ("head", True)):
        handler = root / f"{name}-handler"
        handler.mkdir()
        (handler / "index.py").write_text(f"def handler(event, context):\n    return {name!r}\n")
        dirs.append(synth_demo(root / f"{name}.out", handler, head=head))
    return dirs[0], dirs[1]


@pytest.fixture(scope="module")
def report(assemblies: tuple[Path, Path]) -> Report:
    return diff_assemblies(*assemblies)


def change_of(report: Report, construct: str) -> ResourceChange:
    """The change whose construct path contains `/<construct>/` (logical IDs carry hashes we did not pin)."""
    matches = [
        change
        for stack in report.stacks
        for change in stack.resources
        if f"/{construct}/" in f"{change.construct_path}/"
    ]
    assert len(matches) == 1, [c.construct_path for c in matches]
    return matches[0]


def test_given_a_mutable_property_change_when_diffed_then_updated_in_place(report: Report) -> None:
    change = change_of(report, "Jobs")
    assert change.kind is ChangeKind.MODIFIED
    assert [prop.name for prop in change.properties] == ["VisibilityTimeout"]
    assert not change.replaced
    assert change.danger() is None


def test_given_a_create_only_property_change_when_diffed_then_replacement_of_a_stateful_bucket(report: Report) -> None:
    change = change_of(report, "Archive")
    assert change.kind is ChangeKind.MODIFIED
    assert [prop.name for prop in change.properties] == ["BucketName"]
    assert change.replacement_reasons == ("create-only property BucketName changed",)
    assert change.danger() is not None and "will be replaced" in change.danger()  # type: ignore[operator]


def test_given_a_renamed_construct_when_diffed_then_one_rename_that_replaces(report: Report) -> None:
    change = change_of(report, "Alarms")
    assert change.kind is ChangeKind.RENAMED
    assert change.old_logical_id is not None and change.old_logical_id.startswith("Alerts")
    assert change.logical_id.startswith("Alarms")
    assert change.replaced
    assert change.danger() is None, "a topic is not stateful"


def test_given_a_removed_bucket_when_diffed_then_removed_orphaned_and_blocking(report: Report) -> None:
    change = change_of(report, "Logs")
    assert change.kind is ChangeKind.REMOVED
    assert change.retained, "s3.Bucket defaults to RemovalPolicy.RETAIN"
    assert "orphaned" in (change.danger() or "")


def test_given_new_handler_code_when_diffed_then_an_asset_change_not_noise(report: Report) -> None:
    change = change_of(report, "Handler")
    assert change.kind is ChangeKind.MODIFIED
    assert [(prop.name, prop.asset_only) for prop in change.properties] == [("Code", True)]
    assert not change.replaced


def test_given_both_apps_when_diffed_then_exactly_these_changes_and_nothing_else(report: Report) -> None:
    actual = {
        stack.stack: sorted((change.kind.value, change.resource_type) for change in stack.resources)
        for stack in report.stacks
    }
    assert actual == {
        STACK: [
            ("modified", "AWS::CloudFormation::Stack"),  # the nested template's URL (its hash) changed
            ("modified", "AWS::Lambda::Function"),
            ("modified", "AWS::S3::Bucket"),
            ("modified", "AWS::SQS::Queue"),
            ("removed", "AWS::S3::Bucket"),
            ("renamed", "AWS::SNS::Topic"),
        ],
        NESTED: [("removed", "AWS::S3::Bucket")],
    }


def test_given_a_removed_bucket_in_a_nested_stack_when_diffed_then_deleted_and_blocking(report: Report) -> None:
    change = change_of(report, "Scratch")
    assert change.stack == NESTED
    assert not change.retained
    assert "deleted with its data" in (change.danger() or "")


def test_given_stateful_losses_when_reported_then_each_blocks_and_the_exit_code_is_1(report: Report) -> None:
    blocked = sorted(f.change.construct_path or "" for f in report.blocking)
    assert blocked == ["Demo/Archive/Resource", "Demo/Deep/Scratch/Resource", "Demo/Logs/Resource"]
    assert report.exit_code == 1
    text = render_text(report)
    assert "BLOCKED: 3 change(s)" in text
    assert "Logs6819BB44" in text and "orphaned" in text


def test_given_the_report_as_markdown_then_a_table_per_stack_and_the_blocking_list(report: Report) -> None:
    markdown = render_markdown(report)
    assert "**Blocked:** 3 change(s)" in markdown
    assert f"### `{STACK}`" in markdown and f"### `{NESTED}`" in markdown
    assert "| ~ | `Alerts91F83244` → `Alarms04B5A0BF` | `AWS::SNS::Topic` | **REPLACE** |" in markdown
    assert "| ~ | `JobsDF1CC2D4` | `AWS::SQS::Queue` | update in place | properties: VisibilityTimeout |" in markdown


def write_acknowledgments(path: Path, entries: list[Any]) -> Path:
    path.write_text(yaml.safe_dump({"acknowledgments": entries}))
    return path


ACK_ARCHIVE = {"stack": STACK, "logical_id": "ArchiveDA4CB258", "reason": "bucket renamed on purpose (CHG-1)"}
ACK_LOGS = {"stack": STACK, "logical_id": "Logs6819BB44", "reason": "logs moved to the central account"}
ACK_SCRATCH = {"stack": NESTED, "logical_id": "ScratchF72D2ED6", "reason": "scratch data is disposable"}


def test_given_some_losses_acknowledged_when_diffed_then_only_the_rest_block(
    assemblies: tuple[Path, Path], tmp_path: Path
) -> None:
    acks = load_acknowledgments(write_acknowledgments(tmp_path / "acks.yaml", [ACK_ARCHIVE, ACK_LOGS]))
    report = diff_assemblies(*assemblies, acks)
    assert [f.change.logical_id for f in report.blocking] == ["ScratchF72D2ED6"]
    assert report.exit_code == 1
    assert "acknowledged: bucket renamed on purpose (CHG-1)" in render_text(report)


def test_given_every_loss_acknowledged_when_diffed_then_exit_0_and_unused_entries_are_listed(
    assemblies: tuple[Path, Path], tmp_path: Path
) -> None:
    stale = {"stack": STACK, "logical_id": "Gone", "reason": "left over from an old change"}
    acks = load_acknowledgments(
        write_acknowledgments(tmp_path / "acks.yaml", [ACK_ARCHIVE, ACK_LOGS, ACK_SCRATCH, stale])
    )
    report = diff_assemblies(*assemblies, acks)
    assert report.blocking == []
    assert report.exit_code == 0
    assert [ack.logical_id for ack in report.unused_acknowledgments] == ["Gone"]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([{"stack": STACK, "logical_id": "X"}], "needs a non-empty string for reason"),
        ([{"stack": STACK, "logical_id": "X", "reason": " "}], "needs a non-empty string for reason"),
        ([{"stack": STACK, "logical_id": "X", "reason": "r", "until": "2027"}], "unknown key(s) until"),
        (["ArchiveDA4CB258"], "must be a mapping"),
    ],
)
def test_given_a_bad_acknowledgment_when_loaded_then_config_error_names_the_entry(
    tmp_path: Path, entries: list[Any], expected: str
) -> None:
    with pytest.raises(ConfigError, match=r"acknowledgments\[0\]") as caught:
        load_acknowledgments(write_acknowledgments(tmp_path / "acks.yaml", entries))
    assert expected in str(caught.value)


def test_given_the_cli_on_two_assemblies_then_exit_codes_follow_the_verdicts(
    assemblies: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, head = (str(path) for path in assemblies)
    no_acks = str(tmp_path / "none.yaml")
    assert run(["--assemblies", base, head, "--acknowledgments", no_acks]) == 1
    assert run(["--assemblies", base, base, "--acknowledgments", no_acks]) == 0
    assert "no changes" in capsys.readouterr().out
    all_acked = write_acknowledgments(tmp_path / "acks.yaml", [ACK_ARCHIVE, ACK_LOGS, ACK_SCRATCH])
    output = tmp_path / "diff.md"
    assert (
        run(
            [
                "--assemblies",
                base,
                head,
                "--acknowledgments",
                str(all_acked),
                "--format",
                "markdown",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    assert output.read_text().startswith("## Synth-and-diff:")
    bad = tmp_path / "bad.yaml"
    bad.write_text("acknowledgments: nope\n")
    assert run(["--assemblies", base, head, "--acknowledgments", str(bad)]) == 2
    assert run(["--assemblies", base, str(tmp_path), "--acknowledgments", no_acks]) == 2


@pytest.mark.parametrize(
    ("old", "new", "reasons"),
    [
        ({"Type": "AWS::SQS::Queue"}, {"Type": "AWS::SNS::Topic"}, ("resource type changed from AWS::SQS::Queue",)),
        (
            {"Type": "AWS::SageMaker::Domain", "Properties": {"AuthMode": "IAM", "DomainName": "d"}},
            {"Type": "AWS::SageMaker::Domain", "Properties": {"AuthMode": "SSO", "DomainName": "d"}},
            ("create-only property AuthMode changed",),
        ),
        (
            {
                "Type": "AWS::EC2::TransitGatewayConnectPeer",
                "Properties": {"ConnectPeerConfiguration": {"BgpConfigurations": [{"PeerAsn": 1}]}},
            },
            {
                "Type": "AWS::EC2::TransitGatewayConnectPeer",
                "Properties": {"ConnectPeerConfiguration": {"BgpConfigurations": [{"PeerAsn": 2}]}},
            },
            ("create-only property ConnectPeerConfiguration.BgpConfigurations.*.PeerAsn changed",),
        ),
        (
            {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": False}},
            {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
            (),
        ),
    ],
)
def test_given_template_pairs_when_diffed_then_replacement_follows_type_and_create_only_schemas(
    old: dict[str, Any], new: dict[str, Any], reasons: tuple[str, ...]
) -> None:
    diff = diff_templates("s", {"Resources": {"R": old}}, {"Resources": {"R": new}})
    assert [change.replacement_reasons for change in diff.resources] == [reasons]


def test_given_a_renamed_stateful_user_profile_when_diffed_then_blocking_and_acknowledgeable_by_either_id() -> None:
    profile = {"Type": "AWS::SageMaker::UserProfile", "Properties": {"DomainId": "d-1", "UserProfileName": "alice"}}
    diff = diff_templates("s", {"Resources": {"AliceOld": profile}}, {"Resources": {"AliceNew": profile}})
    (change,) = diff.resources
    assert change.kind is ChangeKind.RENAMED
    assert change.logical_ids == ("AliceOld", "AliceNew")
    assert "logical ID changed from AliceOld" in (change.danger() or "")


def clean_tree() -> bool:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return status.stdout.strip() == ""


@pytest.mark.slow
@pytest.mark.skipif(not clean_tree(), reason="uncommitted changes: the end-to-end diff against HEAD needs a clean tree")
def test_given_a_clean_tree_when_make_diff_base_head_then_no_changes_and_exit_0() -> None:
    """Synthesizes the whole reference app twice with the compliance gate (HEAD in a temporary worktree, and the
    working tree), in parallel: its time grows with the app (~30 s on a loaded 2-core machine before the
    capabilities merged). Marked slow: `pytest -m "not slow"` leaves it out of a quick run."""
    result = subprocess.run(
        # -o: the test environment is already installed; do not let make reinstall it.
        ["make", "--no-print-directory", "-o", ".venv/.installed", "diff", "BASE=HEAD", f"PY={sys.executable}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "synth-and-diff: HEAD -> working tree\nno changes\n" in result.stdout


def test_given_a_stack_gone_from_the_app_when_diffed_then_every_resource_removed_and_its_table_blocks() -> None:
    old = {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete", "Properties": {}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {}},
        }
    }
    report = build_report([diff_templates("gone", old, None)])
    (stack,) = report.stacks
    assert stack.status is ChangeKind.REMOVED
    assert [(change.logical_id, change.kind) for change in stack.resources] == [
        ("Queue", ChangeKind.REMOVED),
        ("Table", ChangeKind.REMOVED),
    ]
    assert [finding.change.logical_id for finding in report.blocking] == ["Table"]
    assert "(stack removed)" in render_text(report)


def test_given_the_repository_acknowledgment_file_then_it_loads_and_names_only_resources_gone_from_the_stacks() -> None:
    """Entries are for the change under review: each names a logical ID that the stack's snapshot (the templates
    this commit synthesizes) no longer holds; an entry for a resource still there acknowledges nothing."""
    snapshots = REPO_ROOT / "tests" / "__snapshots__" / "test_templates"
    for entry in load_acknowledgments(REPO_ROOT / ".synthdiff-acknowledgments.yaml"):
        assert entry.reason.strip(), entry
        stack = entry.stack.rsplit("/", 1)[-1]  # a pipeline stage's stack: the report prints the stage path
        kind = "multi_account" if "/" in entry.stack else "default"
        snapshot = snapshots / f"test_every_{kind}_stack_matches_its_snapshot[{stack}].json"
        assert snapshot.is_file(), entry
        assert f'"{entry.logical_id}"' not in snapshot.read_text(), f"{entry} is still in {snapshot.name}"


def test_given_an_unknown_base_ref_when_run_then_exit_2_naming_the_ref(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--base", "no-such-ref-synthdiff", "--repo", str(REPO_ROOT)]) == 2
    assert "no-such-ref-synthdiff" in capsys.readouterr().err


def test_given_a_replaced_domain_when_diffed_then_profiles_referring_to_it_are_replaced_too() -> None:
    """The profile's template is unchanged, but its create-only DomainId gets the new domain's id."""

    def template(auth: str) -> dict[str, Any]:
        return {
            "Resources": {
                "Domain": {"Type": "AWS::SageMaker::Domain", "Properties": {"AuthMode": auth, "DomainName": "d"}},
                "Alice": {
                    "Type": "AWS::SageMaker::UserProfile",
                    "Properties": {"DomainId": {"Fn::GetAtt": ["Domain", "DomainId"]}, "UserProfileName": "alice"},
                },
                "AliceSpace": {
                    "Type": "AWS::SageMaker::Space",
                    "Properties": {"DomainId": {"Fn::Sub": "${Domain.DomainId}"}, "SpaceName": "alice"},
                },
                "Notes": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"Tags": [{"Key": "d", "Value": {"Ref": "Domain"}}]},
                },
            }
        }

    report = build_report([diff_templates("studio", template("IAM"), template("SSO"))])
    changes = {change.logical_id: change for stack in report.stacks for change in stack.resources}
    assert set(changes) == {"Domain", "Alice", "AliceSpace"}, "the queue's tag is not create-only: no replacement"
    assert changes["Alice"].properties == ()
    assert changes["Alice"].replacement_reasons == (
        "create-only property DomainId refers to Domain, which is replaced",
    )
    assert changes["AliceSpace"].replaced
    assert sorted(f.change.logical_id for f in report.blocking) == ["Alice", "Domain"]


def _job_definition(name: str, baseline: str) -> dict[str, Any]:
    return {
        "Type": "AWS::SageMaker::DataQualityJobDefinition",
        "Properties": {
            "JobDefinitionName": name,
            "DataQualityBaselineConfig": {"ConstraintsResource": {"S3Uri": f"s3://b/{baseline}/constraints.json"}},
        },
    }


def test_given_a_replacement_that_keeps_the_custom_name_then_blocking_naming_the_property() -> None:
    """CloudFormation refuses to replace a resource whose custom name stays the same; a non-stateful type too."""
    diff = diff_templates(
        "s",
        {"Resources": {"R": _job_definition("ep-data-quality", "v1")}},
        {"Resources": {"R": _job_definition("ep-data-quality", "v2")}},
    )
    (change,) = diff.resources
    assert change.kept_name == "JobDefinitionName"
    assert "keeps its custom name (JobDefinitionName)" in (change.danger() or "")
    assert build_report([diff]).exit_code == 1


def test_given_a_replacement_that_changes_the_custom_name_then_not_blocking() -> None:
    diff = diff_templates(
        "s",
        {"Resources": {"R": _job_definition("ep-data-quality", "v1")}},
        {"Resources": {"R": _job_definition("ep-data-quality-2", "v2")}},
    )
    (change,) = diff.resources
    assert change.replaced and change.kept_name is None and change.danger() is None
