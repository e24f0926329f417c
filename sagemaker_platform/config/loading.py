"""Loading the platform config: from CDK context, a JSON/YAML file or a mapping, with error formatting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sagemaker_platform.config.platform import PlatformConfig
from sagemaker_platform.errors import ConfigError

CONTEXT_KEY = "platform"
CONFIG_PATH_CONTEXT_KEY = "config"


def parse_config(raw: Any) -> PlatformConfig:
    """Validate a config mapping (as read from JSON or YAML) into a `PlatformConfig`.

    Raises `ConfigError` naming every bad key, the value given and what is allowed.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError([f"the platform config must be a mapping, got {type(raw).__name__}: {raw!r}"])
    try:
        return PlatformConfig.model_validate_json(json.dumps(raw))
    except ValidationError as exc:
        raise ConfigError(_describe(error, raw) for error in exc.errors()) from None


def load_config_file(path: str | Path) -> PlatformConfig:
    """Read and validate a JSON (`.json`) or YAML (`.yaml`/`.yml`) config file."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError([f"config={str(path)!r}: no such file"])
    text = file.read_text(encoding="utf-8")
    try:
        raw = json.loads(text) if file.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            [f"config={str(path)!r}: not valid {'JSON' if file.suffix == '.json' else 'YAML'}: {exc}"]
        ) from None
    return parse_config(raw)


def config_from_context(get_context: Any) -> PlatformConfig:
    """The platform config from CDK context: `config` (a file path) wins over `platform` (inline).

    `get_context` is `node.try_get_context`. A `platform` value given on the command line
    (``-c platform='{...}'``) arrives as a JSON string and is parsed here.
    """
    path = get_context(CONFIG_PATH_CONTEXT_KEY)
    if path is not None:
        return load_config_file(str(path))
    inline = get_context(CONTEXT_KEY)
    if isinstance(inline, str):
        try:
            inline = json.loads(inline)
        except json.JSONDecodeError as exc:
            raise ConfigError([f"platform: the context value is not valid JSON: {exc}"]) from None
    return parse_config(inline)


def _describe(error: Any, raw: Any) -> str:
    """One line for one pydantic error: the dotted key, the value given, what is allowed."""
    path = _dotted(error["loc"], raw)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "field_problem":
        ctx = error["ctx"]
        field = ctx["field"] if path == "platform" else f"{path}.{ctx['field']}"
        return f"`{field}` = {json.dumps(ctx['value'], default=str)}: {message}"
    if error["type"] in ("unknown_key", "missing"):
        return f"`{path}`: {message}" if error["type"] == "unknown_key" else f"`{path}`: required key is missing"
    return f"`{path}` = {json.dumps(error.get('input'), default=str)}: {message}"


def _dotted(loc: tuple[Any, ...], raw: Any) -> str:
    """`('studio', 'users', 2, 'name')` -> `studio.users[2].name`, dropping pydantic's union tags."""
    parts: list[str] = []
    node = raw
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            node = node[item] if isinstance(node, list) and item < len(node) else None
        elif isinstance(node, dict) and item in node:
            parts.append(f".{item}" if parts else str(item))
            node = node[item]
        elif isinstance(node, dict) or node is None:
            # A key pydantic reports that is not in the input: a missing key, or a union member tag.
            if item in _KNOWN_UNION_TAGS:
                continue
            parts.append(f".{item}" if parts else str(item))
            node = None
    return "".join(parts) or "platform"


# pydantic labels each member of a union in `loc` (e.g. `str`, `function-after[...]`); skip them.
_KNOWN_UNION_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "tuple"})
