"""The acknowledgment file: stateful removals and replacements that a reviewer accepted on purpose.

```yaml
# .synthdiff-acknowledgments.yaml
acknowledgments:
  - stack: mlplatform-studio          # stack name as the report prints it
    logical_id: StudioDomain1A2B3C4D  # the old or the new logical ID
    reason: the domain moves to the new VPC; homes were backed up to s3://... (CHG-1234)
```

Every entry needs all three keys and a non-empty reason. Entries that match no change are reported
as unused, so stale acknowledgments do not pile up.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sagemaker_platform.errors import ConfigError

DEFAULT_FILE = ".synthdiff-acknowledgments.yaml"
_KEYS = ("stack", "logical_id", "reason")


@dataclass(frozen=True)
class Acknowledgment:
    stack: str
    logical_id: str
    reason: str


def load_acknowledgments(path: Path) -> tuple[Acknowledgment, ...]:
    """The acknowledgments in `path`; none when the file does not exist. Raises `ConfigError` on a bad entry."""
    if not path.is_file():
        return ()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from None
    if raw is None:
        return ()
    if not isinstance(raw, dict) or set(raw) != {"acknowledgments"} or not isinstance(raw["acknowledgments"], list):
        raise ConfigError([f"{path}: expected one key `acknowledgments` holding a list of {{{', '.join(_KEYS)}}}"])
    problems: list[str] = []
    entries: list[Acknowledgment] = []
    for index, entry in enumerate(raw["acknowledgments"]):
        problem = _entry_problem(entry)
        if problem is not None:
            problems.append(f"`acknowledgments[{index}]` = {entry!r}: {problem}")
        else:
            entries.append(Acknowledgment(stack=entry["stack"], logical_id=entry["logical_id"], reason=entry["reason"]))
    if problems:
        raise ConfigError(problems)
    return tuple(entries)


def _entry_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return f"must be a mapping with keys {', '.join(_KEYS)}"
    unknown = sorted(str(key) for key in entry if key not in _KEYS)
    if unknown:
        return f"unknown key(s) {', '.join(unknown)}; allowed keys: {', '.join(_KEYS)}"
    missing = [key for key in _KEYS if not isinstance(entry.get(key), str) or not entry[key].strip()]
    if missing:
        return f"needs a non-empty string for {', '.join(missing)}"
    return None
