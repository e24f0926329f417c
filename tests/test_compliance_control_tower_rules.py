"""What each Control Tower rule file reads of a template is read from its source with certainty, or not at all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sagemaker_platform import control_tower_rules, control_tower_runner
from sagemaker_platform.control_tower_rules import Reads, RuleFile, read_rule_file, rule_types

# --- the resource types a rule file selects ------------------------------------------------------------------

TYPED = """
# Reports on:
#    AWS::SQS::Queue
let SQS_QUEUE_TYPE = "AWS::SQS::Queue"
let sqs_queues = Resources.*[ Type == %SQS_QUEUE_TYPE ]
let topics = Resources[
    Type == 'AWS::SNS::Topic' or
    Type == %SQS_QUEUE_TYPE
]
rule sqs_dlq_check when %sqs_queues not empty { check(%sqs_queues.Properties) }
rule is_cfn_template(doc) { %doc { Resources exists } }
rule query_for_resource(doc, key) { let found = %doc.Resources[ keys == %key ] }
rule eks(c) { %c.ResourcesVpcConfig exists }
"""


def test_given_typed_queries_then_the_rule_selects_their_types() -> None:
    assert rule_types(TYPED) == {"AWS::SQS::Queue", "AWS::SNS::Topic"}


@pytest.mark.parametrize(
    "query",
    [
        "let all = Resources.*",  # every resource
        "let some = Resources.*[ Properties.Encrypted == true ]",  # not filtered on its type
        "let any = Resources.*[ Type == /AWS::S3::/ ]",  # a regex
        "let TYPES = ['AWS::S3::Bucket']\nlet b = Resources.*[ Type == %TYPES ]",  # a constant that is a list
        "let b = Resources.*[ Type == %UNDEFINED ]",  # a constant defined nowhere
        "some Resources[*] == 'secrets'",  # a property path this reader does not know
        "rule r(c) { %c { some Resources[*] == 'secrets' } }",  # %c may be the template itself
        "rule r when %q not empty\n    Flag { let all = Resources.* }",  # a rule's body, whatever its last line
        "let x = 'Resources'.*",  # the section named as a string
    ],
)
def test_given_a_query_the_reader_cannot_type_then_the_rule_stays_enabled(query: str) -> None:
    source = f'let T = "AWS::SQS::Queue"\nlet q = Resources.*[ Type == %T ]\n{query}'
    assert rule_types(source) is None
    assert read_rule_file("ct-x", source).reads is Reads.TEMPLATE
    assert RuleFile("ct-x").applies_to(frozenset())


def test_given_resources_as_a_property_below_a_block_then_it_is_not_the_templates() -> None:
    # The shape of ct-eks-pr-2: an EKS cluster's EncryptionConfig entries have a `Resources` list of their own.
    source = """
let EKS_CLUSTER_TYPE = "AWS::EKS::Cluster"
let eks_clusters = Resources.*[ Type == %EKS_CLUSTER_TYPE ]
rule eks_secrets_encrypted_check when %eks_clusters not empty {
    check(%eks_clusters.Properties)
        << [FIX]: Provide a list of 'Resources' that contains 'secrets' { } >>
}
rule check(eks_cluster) {
    %eks_cluster {
        EncryptionConfig exists
        some EncryptionConfig[*] {
            Resources exists
            some Resources[*] == "secrets"
            Provider { KeyArn == /^arn:.{1,}$/ }
        }
    }
}
"""
    assert rule_types(source) == {"AWS::EKS::Cluster"}


# --- how much of a template a rule file reads ---------------------------------------------------------------

LOOKUPS = """
let BUCKET_TYPE = "AWS::S3::Bucket"
let INPUT_DOCUMENT = this
let buckets = Resources.*[ Type == %BUCKET_TYPE ]
rule bucket_check when %buckets not empty { check(%buckets.Properties) }
rule check(bucket) {
    %bucket {
        check_local_references(%INPUT_DOCUMENT, KmsKeyId, "AWS::KMS::Key")
        check_policy(LoggingConfiguration)
    }
}
rule check_local_references(doc, reference_properties, referenced_resource_type) {
    %reference_properties {
        'Fn::GetAtt' {
            query_for_resource(%doc, this[0], %referenced_resource_type)
                <<Local Stack reference was invalid>>
        } or Ref {
            when query_for_resource(%doc, this, %referenced_resource_type) { this exists }
        }
    }
}
rule check_policy(logging) {
    %logging { 'Fn::GetAtt' { check_get_att(this) } }
}
rule check_get_att(get_att) {
    %get_att { query_for_resource(%INPUT_DOCUMENT, this[0], "AWS::S3::Bucket") }
}
rule query_for_resource(doc, resource_key, referenced_resource_type) {
    let referenced_resource = %doc.Resources[ keys == %resource_key ]
    %referenced_resource not empty
}
"""


def test_given_lookups_by_ref_and_get_att_targets_then_the_rule_reads_the_resources_they_reference() -> None:
    rule_file = read_rule_file("ct-s3-x", LOOKUPS, ("s3", "ct-s3-x.guard"))
    assert rule_file.types == {"AWS::S3::Bucket"}
    assert rule_file.reads is Reads.REFERENCES
    assert rule_file.rules == {"bucket_check"}
    without_lookups = LOOKUPS.split("rule check(bucket)")[0]
    assert read_rule_file("ct-s3-y", without_lookups).reads is Reads.TYPES


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("query_for_resource(%doc, this[0], %ref", "query_for_resource(%doc, this, %ref"),  # the whole Fn::GetAtt
        ("when query_for_resource(%doc, this,", "when query_for_resource(%doc, this[0],"),  # a Ref's first letter
        ("check_get_att(this)", "check_get_att(Properties)"),  # not a Fn::GetAtt
        ("%doc.Resources[ keys == %resource_key ]", "%doc.Resources[ keys == %BUCKET_TYPE ]"),  # not the caller's key
        ("check_policy(LoggingConfiguration)", "check_policy(LoggingConfiguration)\n let f = query_for_resource"),
    ],
)
def test_given_a_lookup_key_the_reader_cannot_trace_then_the_rule_reads_the_whole_template(old: str, new: str) -> None:
    assert old in LOOKUPS
    rule_file = read_rule_file("ct-s3-x", LOOKUPS.replace(old, new))
    assert rule_file.types == {"AWS::S3::Bucket"}
    assert rule_file.reads is Reads.TEMPLATE


# --- the bundled rule files ---------------------------------------------------------------------------------


def test_given_the_bundled_rules_then_each_is_typed_and_traced_and_the_dlq_rule_selects_queues() -> None:
    files = control_tower_rules.bundled_rule_files()
    rules = {rule.name: rule.types for rule in files}
    assert len(rules) == 237
    assert rules["ct-sqs-pr-1"] == {"AWS::SQS::Queue"}
    assert rules["ct-iam-pr-1"] == {"AWS::IAM::Policy", "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"}
    assert rules["ct-eks-pr-2"] == {"AWS::EKS::Cluster"}  # its `Resources` is a property of EncryptionConfig
    assert [name for name, types in rules.items() if types is None] == []
    folder = control_tower_rules.rules_folder()
    looking_up = {
        path.stem for path in folder.rglob("*.guard") if re.search(r"Resources\[\s*keys\s*==", path.read_text())
    }
    assert len(looking_up) == 42
    assert {rule.name for rule in files if rule.reads is Reads.REFERENCES} == looking_up
    assert {rule.name for rule in files if rule.reads is Reads.TYPES} == set(rules) - looking_up


def test_given_the_bundled_rules_then_each_reports_rule_names_of_its_own_in_cfn_guards_order() -> None:
    # The premise of putting each violation back at its file's turn: a reported rule name names one file.
    files = control_tower_rules.bundled_rule_files()
    names = [name for rule in files for name in rule.rules]
    assert all(rule.rules for rule in files)
    assert len(names) == len(set(names))
    assert [rule.order for rule in files] == sorted(rule.order for rule in files)
    order = [rule.name for rule in files]
    assert order.index("ct-s3-pr-10") < order.index("ct-s3-pr-2") < order.index("ct-sqs-pr-1")
    assert control_tower_rules.rule_file_of("sqs_dlq_check") == order.index("ct-sqs-pr-1")
    assert control_tower_rules.rule_file_of("no_such_rule") is None


def test_given_present_types_then_the_rule_files_selecting_none_of_them_are_inapplicable() -> None:
    skipped = control_tower_rules.inapplicable_rules(frozenset({"AWS::SQS::Queue", "AWS::KMS::Key"}))
    assert {"ct-sqs-pr-1", "ct-kms-pr-1"}.isdisjoint(skipped)
    assert {"ct-s3-pr-1", "ct-eks-pr-2"} <= set(skipped)


# --- the reading kept between synths ----------------------------------------------------------------------


@pytest.fixture
def fresh_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The installed plugin's rule files in an unpacked-plugin folder of their own, with no reading kept yet."""
    package = tmp_path / "cdk-validator-cfnguard" / "package"
    package.mkdir(parents=True)
    (package / "rules").symlink_to(control_tower_runner.plugin_dir() / "rules")
    monkeypatch.setattr(control_tower_rules, "plugin_dir", lambda: package)
    control_tower_rules.bundled_rule_files.cache_clear()
    yield package.parent
    control_tower_rules.bundled_rule_files.cache_clear()


def _no_reading(*args: object) -> RuleFile:
    raise AssertionError("the rule files were read again")


def test_given_the_rule_files_read_once_then_the_next_process_takes_the_kept_reading(
    fresh_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = control_tower_rules.bundled_rule_files()
    (kept,) = fresh_plugin.glob("rule-files-*.json")
    assert kept == control_tower_rules.index_path()  # beside the plugin, under this reader's digest
    control_tower_rules.bundled_rule_files.cache_clear()  # as in a new process
    monkeypatch.setattr(control_tower_rules, "read_rule_file", _no_reading)
    assert control_tower_rules.bundled_rule_files() == first
    assert not list(fresh_plugin.glob(".rule-files-*"))  # no staging copy left


@pytest.mark.parametrize("kept", ["{ half written", "[]", '[{"name": "ct-x"}]', '[{"reads": "SOME"}]'])
def test_given_a_kept_reading_that_cannot_be_used_then_the_files_are_read_again(fresh_plugin: Path, kept: str) -> None:
    expected = control_tower_rules.bundled_rule_files()
    control_tower_rules.index_path().write_text(kept)
    control_tower_rules.bundled_rule_files.cache_clear()
    assert control_tower_rules.bundled_rule_files() == expected
    assert json.loads(control_tower_rules.index_path().read_text())[0]["name"] == expected[0].name  # kept anew


def test_given_the_reading_cannot_be_kept_then_the_files_are_still_read_and_nothing_half_written_stays(
    fresh_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: object) -> None:
        raise PermissionError("read-only cache")  # what renaming into a read-only folder raises

    monkeypatch.setattr(control_tower_rules.os, "replace", refused)
    assert len(control_tower_rules.bundled_rule_files()) > 200
    assert sorted(path.name for path in fresh_plugin.iterdir()) == ["package"]
