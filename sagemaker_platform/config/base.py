"""Shared building blocks of the config models: `StrictModel`, `Items`, `field_problem`, account/region types."""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from sagemaker_platform.contracts import names
from sagemaker_platform.regions import ALL_REGIONS

ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
# CreateUserProfile's UserProfileName pattern.
USER_PROFILE_NAME_PATTERN = names.NAME_63_RE
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


def first_repeated(values: list[T]) -> T | None:
    """The first of `values` that appears more than once, or None: for names a section must not repeat."""
    return next((value for value in values if values.count(value) > 1), None)


# --- reusable field validators --------------------------------------------------------------


def matching(pattern: re.Pattern[str], message: str) -> AfterValidator:
    """A field validator (`Annotated[str, matching(...)]`): a value `pattern` does not match gets `message`."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def _region(value: str) -> str:
    if value not in ALL_REGIONS:
        raise ValueError(f"unknown region; allowed: {', '.join(ALL_REGIONS)}")
    return value


AccountId = Annotated[str, matching(ACCOUNT_ID_PATTERN, "must be a 12-digit AWS account id, e.g. '111111111111'")]
Region = Annotated[str, AfterValidator(_region)]
UserProfileName = Annotated[
    str,
    matching(
        USER_PROFILE_NAME_PATTERN,
        f"must match SageMaker's UserProfileName pattern {names.NAME_63} "
        "(letters, digits and inner hyphens, at most 63 characters)",
    ),
]
PlatformName = Annotated[
    str,
    matching(
        PLATFORM_NAME_PATTERN,
        "must start with a lowercase letter and contain only lowercase letters, digits and '-', at most 20 characters",
    ),
]
OrganizationId = Annotated[
    str, matching(ORGANIZATION_ID_PATTERN, "must be an AWS Organizations id like 'o-a1b2c3d4e5'")
]
