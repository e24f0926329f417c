"""What each bundled Control Tower rule file reads of a template, read from its cfn-guard source.

For every rule file of the `cdklabs.cdk_validator_cfnguard` plugin this module reads, with certainty or not at all:

- the resource types it selects (`RuleFile.types`): every root `Resources` query in it filters on `Type ==` a
  literal type (directly or through a `let` constant), and every other root mention of `Resources` is one of the
  two helper forms the bundled rules use (`Resources exists`, `Resources[ keys == %key ]`). A mention inside a
  block over a property (`EncryptionConfig[*] { Resources exists }`, the `Resources` property of an EKS
  cluster's encryption config) is that property's, never the template's. Any other shape: unknown (None), and
  the file applies to every template;
- how much of a template it needs (`RuleFile.reads`): the resources of its types; those and the resources they
  reference, when it looks resources up by key and every such key is a `Ref` or `Fn::GetAtt` target (the
  `query_for_resource` helper of the bundled rules); otherwise the whole template;
- the rule names it reports violations under (its rules without parameters), which place each violation back
  at its file's turn in cfn-guard's order.

`sagemaker_platform.control_tower_jobs` uses them to give cfn-guard only what each rule file can read.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sagemaker_platform.control_tower_runner import plugin_dir

_TYPE = r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+"
_LITERAL = re.compile(rf"""["']({_TYPE})["']""")
_CONSTANT = re.compile(rf"""^\s*let\s+(\w+)\s*=\s*["']({_TYPE})["']\s*$""", re.MULTILINE)
# `Resources.*[ Type == %X or Type == 'AWS::…' ]` (the query may span lines)
_TYPED_QUERY = re.compile(r"""Resources(?:\.\*)?\[\s*((?:Type\s*==\s*(?:%\w+|'[^']*'|"[^"]*")\s*(?:or\s+)?)+)\]""")
_TYPE_OPERAND = re.compile(r"""Type\s*==\s*(%\w+|'[^']*'|"[^"]*")""")
# Helper forms that select no resource by themselves: the template check, and looking a resource up by its key.
_EXISTS = re.compile(r"Resources\s+exists")
_LOOKUP = re.compile(r"Resources\[\s*keys\s*==\s*%(\w+)\s*\]")
_RESOURCES = re.compile(r"\bResources\b")  # not `ResourcesVpcConfig`, a property of EKS clusters
# Comments and `<< messages >>` (text, not code), string and regex literals (their braces and words are data).
_LEXEMES = re.compile(r"""#[^\n]*|<<.*?>>|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|/(?:[^/\\\n]|\\.)+/""", re.DOTALL)
# The head of a block over a property of the current value: `Provider {`, `some EncryptionConfig[*] {`,
# `} or Ref {`, `'Fn::GetAtt' {`. Whatever such a block mentions lies below that property.
_NAME = r"""(?:(?!(?:this|when|rule|let|not|some|or|and)\b)[A-Za-z_]\w*|'[^'\n]*'|"[^"\n]*")"""
_PROPERTY_BLOCK = re.compile(rf"""(?:(?:or|and|OR|AND)\s+)?(?:some\s+)?{_NAME}(?:\[[^\]\n]*\]|\.(?:{_NAME}|\*))*""")
_RULE_HEAD = re.compile(r"rule\s+(\w+)\s*\(([^)]*)\)")
_REPORTED = re.compile(r"^\s*rule\s+(\w+)\b(?!\s*\()", re.MULTILINE)
# The key a lookup helper is called with, by the block it is called in: a `Ref`'s target, a `Fn::GetAtt`'s first item.
_REFERENCE_KEYS = {
    "Ref": "this",
    "'Ref'": "this",
    '"Ref"': "this",
    "'Fn::GetAtt'": "this[0]",
    '"Fn::GetAtt"': "this[0]",
}


class Reads(enum.Enum):
    """How much of a template a rule file needs to report what it reports on the whole template."""

    TYPES = "the resources of its types"
    REFERENCES = "the resources of its types and those they reference by Ref or Fn::GetAtt, transitively"
    TEMPLATE = "the whole template"


@dataclass(frozen=True)
class RuleFile:
    """One bundled rule file.

    :param name: the file name without `.guard`, as `disabled_rules` takes it.
    :param order: its path under the rules folder, split: cfn-guard reports rule files in this order. Default: ().
    :param types: the resource types it selects; None: unknown (it applies to every template). Default: None.
    :param reads: how much of a template it needs. Default: the whole template.
    :param rules: the rule names its violations carry. Default: none.
    """

    name: str
    order: tuple[str, ...] = ()
    types: frozenset[str] | None = None
    reads: Reads = Reads.TEMPLATE
    rules: frozenset[str] = frozenset()

    def applies_to(self, present: frozenset[str]) -> bool:
        """Whether it can report anything on a template with the `present` resource types."""
        return self.types is None or not self.types.isdisjoint(present)


def read_rule_file(name: str, source: str, order: tuple[str, ...] = ()) -> RuleFile:
    """The rule file `name` with cfn-guard source `source`."""
    parsed = _Source(source)
    types = _types(parsed)
    reads = Reads.TEMPLATE if types is None else _reads(parsed)
    return RuleFile(name, order, types, reads, frozenset(_REPORTED.findall(parsed.code)))


def rule_types(source: str) -> frozenset[str] | None:
    """The resource types a guard rule file selects, or None when that cannot be read with certainty."""
    return _types(_Source(source))


def _types(parsed: _Source) -> frozenset[str] | None:
    code = parsed.code
    constants = dict(_CONSTANT.findall(code))
    types: set[str] = set()
    covered: list[tuple[int, int]] = []
    for query in _TYPED_QUERY.finditer(code):
        covered.append(query.span())
        for operand in _TYPE_OPERAND.findall(query.group(1)):
            resolved = constants.get(operand[1:]) if operand.startswith("%") else _LITERAL.fullmatch(operand)
            if resolved is None:
                return None  # a constant that is not a type literal (a list, a regex): unknown
            types.add(resolved if isinstance(resolved, str) else resolved.group(1))
    covered.extend(match.span() for helper in (_EXISTS, _LOOKUP) for match in helper.finditer(code))
    for mention in parsed.root_mentions:
        if not any(start <= mention < end for start, end in covered):
            return None  # a query this reader does not understand
    return frozenset(types) or None  # no typed query at all: unknown


def rules_folder() -> Path:
    """The folder of the bundled Control Tower rule files."""
    return plugin_dir() / "rules" / "control-tower" / "cfn-guard"


@functools.cache
def bundled_rule_files() -> tuple[RuleFile, ...]:
    """Every Control Tower rule file bundled with the installed plugin, in cfn-guard's order.

    Read once per process, and kept beside the unpacked plugin (`index_path`): reading the 237 files took about
    0.3 s of every synth, and neither the files nor this reader change between synths.
    """
    index = index_path()
    kept = _load_index(index)
    if kept is not None:
        return kept
    rules = rules_folder()
    found = [
        read_rule_file(path.stem, path.read_text(), path.relative_to(rules).parts) for path in rules.rglob("*.guard")
    ]
    if not found:
        raise RuntimeError(f"no Control Tower rule files under {rules}")
    # The plugin lists each folder sorted (Node's readdir), and cfn-guard evaluates the files in that order.
    ordered = tuple(sorted(found, key=lambda rule: rule.order))
    _store_index(index, ordered)
    return ordered


def index_path() -> Path:
    """Where the reading of the bundled rule files is kept: in the unpacked plugin's folder (one per plugin
    version), under the digest of this module's source (a changed reader reads the files again)."""
    reader = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return plugin_dir().parent / f"rule-files-{reader}.json"


def _load_index(path: Path) -> tuple[RuleFile, ...] | None:
    """The rule files kept at `path`; None when there are none or they cannot be read (then they are read again)."""
    try:
        kept = json.loads(path.read_text())
        return (
            tuple(
                RuleFile(
                    name=item["name"],
                    order=tuple(item["order"]),
                    types=None if item["types"] is None else frozenset(item["types"]),
                    reads=Reads[item["reads"]],
                    rules=frozenset(item["rules"]),
                )
                for item in kept
            )
            or None
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _store_index(path: Path, rule_files: tuple[RuleFile, ...]) -> None:
    """Keep `rule_files` at `path`: written beside it and renamed into place, so a concurrent synth never reads
    half of it. A folder that cannot be written keeps nothing."""
    items = [
        {
            "name": rule.name,
            "order": list(rule.order),
            "types": None if rule.types is None else sorted(rule.types),
            "reads": rule.reads.name,
            "rules": sorted(rule.rules),
        }
        for rule in rule_files
    ]
    staging: Path | None = None
    try:
        with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=".rule-files-", delete=False) as file:
            staging = Path(file.name)
            json.dump(items, file)
        os.replace(staging, path)
    except OSError:
        if staging is not None:
            staging.unlink(missing_ok=True)


def inapplicable_rules(present: frozenset[str]) -> list[str]:
    """Names of the bundled rule files that select none of the `present` resource types."""
    return [rule.name for rule in bundled_rule_files() if not rule.applies_to(present)]


def rule_file_of(rule_name: str) -> int | None:
    """The position in `bundled_rule_files()` of the file reporting `rule_name` (the first, should two report it)."""
    return _reporting_files().get(rule_name)


class _Source:
    """A rule file's source with comments and messages blanked (`code`), and its `{ }` blocks."""

    def __init__(self, source: str) -> None:
        def blank(match: re.Match[str]) -> str:
            return re.sub(r"[^\n]", " ", match.group())

        def mask(match: re.Match[str]) -> str:
            text = match.group()
            return blank(match) if text.startswith(("#", "<<")) else text[0] + "_" * (len(text) - 2) + text[-1]

        # Same length as the source: a position in one is the same position in the others.
        self.code = _LEXEMES.sub(lambda m: blank(m) if m.group().startswith(("#", "<<")) else m.group(), source)
        self.blocks = _blocks(self.code, _LEXEMES.sub(mask, source))
        self.root_mentions = frozenset(
            mention.start()
            for mention in _RESOURCES.finditer(self.code)
            if not any(block.over_property for block in self.enclosing(mention.start()))
        )

    def enclosing(self, position: int) -> list[_Block]:
        """The blocks around `position`, innermost first."""
        return sorted((b for b in self.blocks if b.start < position < b.end), key=lambda block: -block.start)


@dataclass(frozen=True)
class _Block:
    start: int
    end: int
    head: str  # the code before its `{` on that line
    over_property: bool  # a block over a property of the current value: all it mentions lies below that property


def _blocks(code: str, masked: str) -> list[_Block]:
    """Every `{ }` block of `code` (found in `masked`, where literals hide their braces)."""
    blocks: list[_Block] = []
    opened: list[tuple[int, str, bool]] = []
    boundary = 0
    for index, char in enumerate(masked):
        if char == "{":
            statement = code[boundary:index]
            head = statement.rsplit("\n", 1)[-1].strip()
            # A `rule` or `when` since the last brace opens this block (its condition may end in a bare name).
            over_property = bool(_PROPERTY_BLOCK.fullmatch(head)) and not re.search(r"\b(?:rule|when)\b", statement)
            opened.append((index, head, over_property))
        elif char == "}" and opened:
            start, head, over_property = opened.pop()
            blocks.append(_Block(start, index, head, over_property))
        if char in "{}":
            boundary = index + 1
    return blocks


def _reads(source: _Source) -> Reads:
    """TYPES without lookups by key; REFERENCES when every key looked up is a Ref or Fn::GetAtt target."""
    lookups = [match for match in _LOOKUP.finditer(source.code) if match.start() in source.root_mentions]
    if not lookups:
        return Reads.TYPES
    for lookup in lookups:
        rule, parameters = _rule_around(source, lookup.start())
        if lookup.group(1) not in parameters or not _passed(source, rule, parameters.index(lookup.group(1)), "key"):
            return Reads.TEMPLATE  # a key this reader cannot trace to a Ref or a Fn::GetAtt
    return Reads.REFERENCES


def _rule_around(source: _Source, position: int) -> tuple[str, list[str]]:
    """The name and parameters of the parameterized rule whose body holds `position` ("", [] if none)."""
    for block in reversed(source.enclosing(position)):  # outermost first
        defined = _RULE_HEAD.fullmatch(block.head)
        if defined:
            return defined.group(1), [parameter.strip() for parameter in defined.group(2).split(",")]
    return "", []


def _passed(source: _Source, rule: str, position: int, kind: str, depth: int = 0) -> bool:
    """Whether every call of `rule` passes, as its argument at `position`, a `key` (a Ref's target, a Fn::GetAtt's
    first item) or a `get_att` (a Fn::GetAtt's value), as written in the bundled rules:
    `Ref { lookup(%doc, this) }`, `'Fn::GetAtt' { lookup(%doc, this[0]) }`, and one level through a rule
    `'Fn::GetAtt' { check(this) }` whose body does `%get_att { lookup(%doc, this[0]) }`."""
    calls = list(re.finditer(rf"(?<!rule )\b{rule}\s*\(([^()]*)\)", source.code))
    if not rule or depth > 2 or len(calls) != len(re.findall(rf"\b{rule}\b", source.code)) - 1:
        return False  # named elsewhere than in its definition and in plain calls
    for call in calls:
        arguments = [argument.strip() for argument in call.group(1).split(",")]
        inner = source.enclosing(call.start())
        block = re.sub(r"^(?:or|and|OR|AND)\s+", "", inner[0].head) if inner else ""
        argument = arguments[position] if position < len(arguments) else None
        if kind == "key" and _REFERENCE_KEYS.get(block) == argument:
            continue
        if kind == "get_att" and argument == "this" and _REFERENCE_KEYS.get(block) == "this[0]":
            continue
        outer, parameters = _rule_around(source, call.start())
        through = block[1:] if block.startswith("%") else ""  # `%get_att { lookup(%doc, this[0]) }`
        if (
            kind == "key"
            and argument == "this[0]"
            and through in parameters
            and _passed(source, outer, parameters.index(through), "get_att", depth + 1)
        ):
            continue
        return False
    return True


@functools.cache
def _reporting_files() -> dict[str, int]:
    files: dict[str, int] = {}
    for index, rule_file in enumerate(bundled_rule_files()):
        for name in rule_file.rules:
            files.setdefault(name, index)
    return files
