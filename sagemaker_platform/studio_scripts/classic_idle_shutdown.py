"""Studio Classic idle shutdown: delete a user's KernelGateway apps once all their kernels and terminals are idle.

Runs inside the user's Studio Classic JupyterServer app, started in the background by the domain's default
JupyterServer lifecycle configuration (`ClassicIdleShutdown`). Only the Jupyter server knows whether kernels are
in use: SageMaker's `DescribeApp` `LastUserActivityTimestamp` is refreshed by health checks (the API reference
says it equals `LastHealthCheckTimestamp`), so a scheduled function outside the app could not tell idle apps
from busy ones. Standard library plus the JupyterServer Python's boto3: nothing is installed, so it works in
VPC-only domains without internet. The calls use the user's execution role (ListApps, DeleteApp on its apps).

Fail-safe: when the Jupyter API or the app metadata cannot be read, nothing is deleted in that round.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

METADATA_FILE = "/opt/ml/metadata/resource-metadata.json"
RUNTIME_PATTERNS = (
    "/home/sagemaker-user/.local/share/jupyter/runtime/jpserver-*.json",
    "/root/.local/share/jupyter/runtime/jpserver-*.json",
    os.path.expanduser("~/.local/share/jupyter/runtime/jpserver-*.json"),
)
BUSY_STATES = frozenset({"busy", "starting"})
LOG = logging.getLogger("classic_idle_shutdown")


class IdleShutdownError(Exception):
    """Base error: this round is skipped and nothing is deleted."""


class MetadataError(IdleShutdownError):
    """The app's resource metadata file is missing or lacks a field."""


class JupyterApiError(IdleShutdownError):
    """The local Jupyter server cannot be found or answers something unexpected."""


@dataclass(frozen=True)
class Profile:
    """The user profile whose KernelGateway apps this JupyterServer reaps."""

    domain_id: str
    user_profile_name: str


@dataclass(frozen=True)
class Activity:
    """What the Jupyter server reports: a kernel busy (or starting), and the latest activity of any kernel or
    terminal (None when there are none)."""

    busy: bool
    last_activity: dt.datetime | None


# --- plain functions --------------------------------------------------------------------------------------


def read_profile(path: str = METADATA_FILE) -> Profile:
    try:
        with open(path, encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (OSError, ValueError) as exc:
        raise MetadataError(f"{path}: cannot read the app metadata ({exc})") from exc
    values = {}
    for field in ("DomainId", "UserProfileName"):
        value = metadata.get(field) if isinstance(metadata, dict) else None
        if not isinstance(value, str) or not value:
            raise MetadataError(f"{path}: field {field} is missing or empty (got {value!r})")
        values[field] = value
    return Profile(values["DomainId"], values["UserProfileName"])


def parse_timestamp(value: Any, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise JupyterApiError(f"{field}: expected an ISO 8601 timestamp, got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise JupyterApiError(f"{field}: expected an ISO 8601 timestamp, got {value!r}") from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def activity(kernels: Any, terminals: Any) -> Activity:
    """The activity of `/api/kernels` and `/api/terminals` answers (lists of objects with `last_activity`)."""
    busy = False
    latest: dt.datetime | None = None
    for kind, items in (("kernels", kernels), ("terminals", terminals)):
        if not isinstance(items, list):
            raise JupyterApiError(f"{kind}: expected a list, got {type(items).__name__}")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise JupyterApiError(f"{kind}[{index}]: expected an object, got {item!r}")
            if kind == "kernels" and item.get("execution_state") in BUSY_STATES:
                busy = True
            when = parse_timestamp(item.get("last_activity"), f"{kind}[{index}].last_activity")
            latest = when if latest is None else max(latest, when)
    return Activity(busy, latest)


def apps_to_delete(apps: list[dict[str, Any]], seen: Activity, now: dt.datetime, idle_minutes: int) -> list[str]:
    """Names of the InService KernelGateway apps to delete: none while a kernel is busy; otherwise those for which
    neither the latest activity nor the app's own creation is within the last `idle_minutes`."""
    if seen.busy:
        return []
    limit = dt.timedelta(minutes=idle_minutes)
    names = []
    for index, app in enumerate(apps):
        if app.get("AppType") != "KernelGateway" or app.get("Status") != "InService":
            continue
        created = app.get("CreationTime")
        if not isinstance(created, dt.datetime):
            raise IdleShutdownError(f"apps[{index}].CreationTime: expected a datetime, got {created!r}")
        reference = created if seen.last_activity is None else max(created, seen.last_activity)
        if now - reference >= limit:
            names.append(str(app["AppName"]))
    return names


# --- AWS and Jupyter (thin layer) -------------------------------------------------------------------------


def list_apps(client: Any, profile: Profile) -> list[dict[str, Any]]:
    apps: list[dict[str, Any]] = []
    request = {"DomainIdEquals": profile.domain_id, "UserProfileNameEquals": profile.user_profile_name}
    while True:
        page = client.list_apps(**request)
        apps.extend(page.get("Apps", []))
        if not page.get("NextToken"):
            return apps
        request["NextToken"] = page["NextToken"]


def delete_apps(client: Any, profile: Profile, names: list[str]) -> list[str]:
    """Delete each app; one already gone (ResourceNotFound) counts as deleted. Other errors propagate."""
    deleted = []
    for name in names:
        try:
            client.delete_app(
                DomainId=profile.domain_id,
                UserProfileName=profile.user_profile_name,
                AppType="KernelGateway",
                AppName=name,
            )
        except client.exceptions.ResourceNotFound:
            LOG.info("app %s is already gone", name)
        deleted.append(name)
    return deleted


def find_server(patterns: tuple[str, ...] = RUNTIME_PATTERNS) -> tuple[str, str]:
    """(url, token) of the local Jupyter server, from its runtime file."""
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                with open(path, encoding="utf-8") as handle:
                    info = json.load(handle)
            except (OSError, ValueError):
                continue
            if isinstance(info, dict) and isinstance(info.get("url"), str):
                return info["url"].rstrip("/") + "/", str(info.get("token", ""))
    raise JupyterApiError(f"no Jupyter server runtime file matches {', '.join(patterns)}")


def jupyter_get(server: tuple[str, str], path: str) -> Any:
    url, token = server
    request = urllib.request.Request(url + path, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise JupyterApiError(f"GET {url}{path}: {exc}") from exc


def check_once(
    client: Any, profile: Profile, server: tuple[str, str], now: dt.datetime, idle_minutes: int
) -> list[str]:
    """One round: read the activity first (no AWS call when it fails), then list and delete idle apps."""
    seen = activity(jupyter_get(server, "api/kernels"), jupyter_get(server, "api/terminals"))
    return delete_apps(client, profile, apps_to_delete(list_apps(client, profile), seen, now, idle_minutes))


def run_round(client: Any, idle_minutes: int, now: dt.datetime | None = None) -> list[str]:
    """One round as the daemon runs it: a typed error or an AWS error skips the round (logged); bugs propagate."""
    try:
        return check_once(client, read_profile(), find_server(), now or dt.datetime.now(dt.UTC), idle_minutes)
    except (IdleShutdownError, ClientError, BotoCoreError) as exc:
        LOG.warning("skipped this round: %s", exc)
        return []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Delete idle Studio Classic KernelGateway apps of this user.")
    parser.add_argument("--idle-minutes", type=int, required=True)
    parser.add_argument("--interval-seconds", type=int, default=300)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    import boto3  # the JupyterServer's own
    from botocore.config import Config

    client = boto3.client("sagemaker", config=Config(retries={"mode": "standard", "max_attempts": 5}))
    while True:
        time.sleep(args.interval_seconds)
        deleted = run_round(client, args.idle_minutes)
        if deleted:
            LOG.info("deleted idle KernelGateway apps: %s", ", ".join(deleted))


if __name__ == "__main__":
    main()
