"""The typed, validated platform config: the contract between cdk.json and the stacks.

The config is read from the `platform` key of the CDK context, or from a JSON or YAML file given
with ``cdk synth -c config=PATH``. It is validated into frozen models; any mistake raises one
`ConfigError` whose message names each bad key, the value given and what is allowed.

Validation goes through JSON in pydantic's strict mode, so ``"60"`` is not silently taken for
``60`` and ``true`` is not taken for ``1``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from sagemaker_platform.errors import ConfigError
from sagemaker_platform.regions import ALL_REGIONS

CONTEXT_KEY = "platform"
CONFIG_PATH_CONTEXT_KEY = "config"

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# CreateUserProfile's UserProfileName pattern.
USER_PROFILE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
PLATFORM_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")


T = TypeVar("T")


def _list_to_tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


Items = Annotated[tuple[T, ...], BeforeValidator(_list_to_tuple)]
"""A config list, held as a tuple so that the frozen models stay hashable.

Use `Items[X]`, never a bare `tuple[X, ...]`: strict mode refuses a list for a tuple once a
before-validator has turned the JSON into Python objects.
"""


class StrictModel(BaseModel):
    """Base of every config model: frozen, strict types, unknown keys refused with the allowed list."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = {info.alias or name for name, info in cls.model_fields.items()} | set(cls.model_fields)
            unknown = sorted(str(key) for key in data if key not in allowed)
            if unknown:
                shown = sorted(info.alias or name for name, info in cls.model_fields.items())
                raise PydanticCustomError(
                    "unknown_key",
                    "unknown key(s) {unknown}; allowed keys: {allowed}",
                    {"unknown": ", ".join(repr(k) for k in unknown), "allowed": ", ".join(shown)},
                )
        return data


def field_problem(field: str, value: Any, message: str) -> PydanticCustomError:
    """An error for a cross-field check in a model validator, reported at `<model>.<field>`.

    Raise it from a ``model_validator(mode="after")``; `parse_config` reports the value and message.
    """
    return PydanticCustomError("field_problem", "{message}", {"field": field, "value": value, "message": message})


# --- reusable field validators --------------------------------------------------------------


def _account_id(value: str) -> str:
    if not ACCOUNT_ID_PATTERN.match(value):
        raise ValueError("must be a 12-digit AWS account id, e.g. '111111111111'")
    return value


def _region(value: str) -> str:
    if value not in ALL_REGIONS:
        raise ValueError(f"unknown region; allowed: {', '.join(ALL_REGIONS)}")
    return value


def _platform_name(value: str) -> str:
    if not PLATFORM_NAME_PATTERN.match(value):
        raise ValueError(
            "must start with a lowercase letter and contain only lowercase letters, digits and '-', "
            "at most 20 characters"
        )
    return value


def _organization_id(value: str) -> str:
    if not ORGANIZATION_ID_PATTERN.match(value):
        raise ValueError("must be an AWS Organizations id like 'o-a1b2c3d4e5'")
    return value


def _user_profile_name(value: str) -> str:
    if not USER_PROFILE_NAME_PATTERN.match(value):
        raise ValueError(
            "must match SageMaker's UserProfileName pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$ "
            "(letters, digits and inner hyphens, at most 63 characters)"
        )
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
Region = Annotated[str, AfterValidator(_region)]
UserProfileName = Annotated[str, AfterValidator(_user_profile_name)]


# --- accounts -------------------------------------------------------------------------------


class AccountsConfig(StrictModel):
    """The AWS accounts of a multi-account deployment. Omit `accounts` for the single-account sandbox."""

    tooling: AccountId
    registry: AccountId
    dev: AccountId
    staging: AccountId
    prod: AccountId


# --- Studio ---------------------------------------------------------------------------------


class StudioVpcConfig(StrictModel):
    """An existing VPC for the Studio domain. Default (when omitted): a new VPC with the endpoints Studio needs."""

    vpc_id: Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
    subnet_ids: Annotated[Items[Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]], Field(min_length=1)]
    security_group_ids: Items[Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]] = ()


class StudioUserConfig(StrictModel):
    """One Studio user profile. A plain string in `studio.users` is the same as `{name: ...}`."""

    name: UserProfileName
    sso_user_value: str | None = None
    """IAM Identity Center user name (required per user when `studio.auth` is SSO; default: `name`)."""
    own_role: bool = False
    """Give this user an execution role of its own instead of the domain's default role."""

    @model_validator(mode="before")
    @classmethod
    def _from_plain_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data


class StudioConfig(StrictModel):
    """`studio`: the SageMaker Studio domain and its user profiles."""

    auth: Literal["IAM", "SSO"] = "IAM"
    users: Items[StudioUserConfig] = ()
    idle_shutdown_minutes: Annotated[int, Field(ge=60, le=525600)] | None = 60
    notebook_output_sharing: bool = False
    enable_projects: bool = False
    classic_images: bool = False
    """Set Studio Classic's JupyterServer (`jupyter-server-3`) and KernelGateway (`datascience-1.0`) default
    images, resolved per region and partition. Default: off, leaving Studio's own default images."""
    removal_policy: Literal["retain", "destroy"] = "retain"
    vpc: StudioVpcConfig | None = None

    @model_validator(mode="after")
    def _unique_users(self) -> StudioConfig:
        seen: set[str] = set()
        for user in self.users:
            if user.name in seen:
                raise field_problem("users", user.name, "duplicate user: each user profile name must appear once")
            seen.add(user.name)
        return self


# --- the whole platform ---------------------------------------------------------------------


class PlatformConfig(StrictModel):
    """The whole platform config (cdk.json `context.platform`)."""

    name: Annotated[str, AfterValidator(_platform_name)] = "mlplatform"
    accounts: AccountsConfig | None = None
    region: Region = "us-east-1"
    organization_id: Annotated[str, AfterValidator(_organization_id)] | None = None
    studio: StudioConfig | None = None

    @property
    def is_sandbox(self) -> bool:
        """True for the single-account sandbox: no `accounts`, env-agnostic stacks."""
        return self.accounts is None


# --- loading --------------------------------------------------------------------------------


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
        return f"`{path}.{ctx['field']}` = {json.dumps(ctx['value'], default=str)}: {message}"
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
