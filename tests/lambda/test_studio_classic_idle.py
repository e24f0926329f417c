"""The Studio Classic idle shutdown script (runs in the JupyterServer app): activity, app choice, AWS calls, faults.

moto implements neither ListApps nor DeleteApp, so the AWS side is a botocore `Stubber` that checks each request's
parameters; the Jupyter side is a local HTTP server answering `/api/kernels` and `/api/terminals` with a token.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from sagemaker_platform.studio_scripts import classic_idle_shutdown as idle
from tests.faults import ALL_KINDS, Call, Fault, inject

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
PROFILE = idle.Profile("d-abc123", "alice")
TOKEN = "s3cret"


def ago(minutes: int) -> str:
    return (NOW - dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def app(
    name: str, created_minutes_ago: int, *, kind: str = "KernelGateway", status: str = "InService"
) -> dict[str, Any]:
    return {
        "DomainId": PROFILE.domain_id,
        "UserProfileName": PROFILE.user_profile_name,
        "AppType": kind,
        "AppName": name,
        "Status": status,
        "CreationTime": NOW - dt.timedelta(minutes=created_minutes_ago),
    }


# --- activity and the choice of apps ---------------------------------------------------------------------


def test_given_a_busy_kernel_then_no_app_is_deleted_however_old() -> None:
    seen = idle.activity([{"execution_state": "busy", "last_activity": ago(500)}], [])
    assert seen.busy
    assert idle.apps_to_delete([app("datascience-1-0-ml-t3-medium-1", 600)], seen, NOW, 60) == []


def test_given_every_kernel_and_terminal_idle_longer_than_the_limit_then_old_kernel_gateway_apps_go() -> None:
    seen = idle.activity(
        [{"execution_state": "idle", "last_activity": ago(90)}, {"execution_state": "dead", "last_activity": ago(300)}],
        [{"name": "1", "last_activity": ago(61)}],
    )
    apps = [
        app("kg-old", 600),
        app("kg-new", 30),  # started 30 minutes ago: kept until it is itself idle_minutes old
        app("default", 600, kind="JupyterServer"),  # the server this runs in: never
        app("kg-deleting", 600, status="Deleting"),
    ]
    assert idle.apps_to_delete(apps, seen, NOW, 60) == ["kg-old"]


def test_given_recent_terminal_activity_then_nothing_goes() -> None:
    seen = idle.activity([{"execution_state": "idle", "last_activity": ago(300)}], [{"last_activity": ago(10)}])
    assert idle.apps_to_delete([app("kg", 600)], seen, NOW, 60) == []


def test_given_no_kernels_at_all_then_apps_older_than_the_limit_go() -> None:
    seen = idle.activity([], [])
    assert seen == idle.Activity(False, None)
    assert idle.apps_to_delete([app("kg", 61), app("kg2", 59)], seen, NOW, 60) == ["kg"]


@pytest.mark.parametrize(
    ("kernels", "terminals", "field"),
    [
        ({"kernels": []}, [], "kernels: expected a list"),
        ([{"execution_state": "idle"}], [], "kernels[0].last_activity"),
        ([], [{"last_activity": "yesterday"}], "terminals[0].last_activity"),
        (["k"], [], "kernels[0]: expected an object"),
    ],
)
def test_given_a_malformed_jupyter_answer_then_a_typed_error_names_the_field(
    kernels: Any, terminals: Any, field: str
) -> None:
    with pytest.raises(idle.JupyterApiError, match=field.replace("[", r"\[").replace("]", r"\]")):
        idle.activity(kernels, terminals)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("{}", "DomainId"),
        ('{"DomainId": "d-1", "UserProfileName": ""}', "UserProfileName"),
        ("not json", "cannot read"),
    ],
)
def test_given_bad_app_metadata_then_a_typed_error_names_the_field(tmp_path: Path, content: str, field: str) -> None:
    path = tmp_path / "resource-metadata.json"
    path.write_text(content)
    with pytest.raises(idle.MetadataError, match=field):
        idle.read_profile(str(path))


def test_given_the_app_metadata_then_the_profile_is_read(tmp_path: Path) -> None:
    path = tmp_path / "resource-metadata.json"
    path.write_text(json.dumps({"DomainId": "d-abc123", "UserProfileName": "alice", "AppType": "JupyterServer"}))
    assert idle.read_profile(str(path)) == PROFILE


# --- the local Jupyter server ------------------------------------------------------------------------------


@pytest.fixture
def jupyter(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A local server answering like Jupyter Server (token required), and its runtime file."""
    answers: dict[str, Any] = {"/api/kernels": [], "/api/terminals": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"token {TOKEN}":
                self.send_response(403)
                self.end_headers()
                return
            body = json.dumps(answers[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    url = f"http://127.0.0.1:{server.server_port}/"
    (runtime / "jpserver-1.json").write_text(json.dumps({"url": url, "token": TOKEN, "port": server.server_port}))
    try:
        yield {"answers": answers, "pattern": str(runtime / "jpserver-*.json"), "url": url}
    finally:
        server.shutdown()


def test_the_server_is_found_from_its_runtime_file_and_answers_with_the_token(jupyter: dict[str, Any]) -> None:
    server = idle.find_server((jupyter["pattern"],))
    assert server == (jupyter["url"], TOKEN)
    jupyter["answers"]["/api/kernels"] = [{"execution_state": "idle", "last_activity": ago(5)}]
    assert idle.jupyter_get(server, "api/kernels") == jupyter["answers"]["/api/kernels"]
    with pytest.raises(idle.JupyterApiError, match="403"):
        idle.jupyter_get((jupyter["url"], "wrong"), "api/kernels")


def test_given_no_runtime_file_then_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(idle.JupyterApiError, match="no Jupyter server runtime file"):
        idle.find_server((str(tmp_path / "jpserver-*.json"),))


# --- AWS calls (botocore Stubber: moto has no ListApps/DeleteApp) ------------------------------------------


def stubbed(apps: list[dict[str, Any]], deletes: list[str], *, gone: tuple[str, ...] = ()) -> tuple[Any, Stubber]:
    client = boto3.client("sagemaker", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    listing = {"DomainIdEquals": PROFILE.domain_id, "UserProfileNameEquals": PROFILE.user_profile_name}
    # Two pages: the script must follow NextToken.
    stubber.add_response("list_apps", {"Apps": apps[:1], "NextToken": "page-2"}, listing)
    stubber.add_response("list_apps", {"Apps": apps[1:]}, {**listing, "NextToken": "page-2"})
    for name in deletes:
        request = {
            "DomainId": PROFILE.domain_id,
            "UserProfileName": PROFILE.user_profile_name,
            "AppType": "KernelGateway",
            "AppName": name,
        }
        if name in gone:
            stubber.add_client_error("delete_app", "ResourceNotFound", expected_params=request)
        else:
            stubber.add_response("delete_app", {}, request)
    stubber.activate()
    return client, stubber


def idle_world(jupyter: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    jupyter["answers"]["/api/kernels"] = [{"execution_state": "idle", "last_activity": ago(120)}]
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"DomainId": PROFILE.domain_id, "UserProfileName": PROFILE.user_profile_name}))
    monkeypatch.setattr(idle, "METADATA_FILE", str(metadata))
    monkeypatch.setattr(idle, "RUNTIME_PATTERNS", (jupyter["pattern"],))
    monkeypatch.setattr(idle.read_profile, "__defaults__", (str(metadata),))
    monkeypatch.setattr(idle.find_server, "__defaults__", ((jupyter["pattern"],),))


def test_a_round_lists_every_page_and_deletes_the_idle_apps_an_app_already_gone_included(
    jupyter: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    idle_world(jupyter, monkeypatch, tmp_path)
    apps = [app("kg-a", 600), app("default", 600, kind="JupyterServer"), app("kg-b", 600)]
    client, stubber = stubbed(apps, ["kg-a", "kg-b"], gone=("kg-b",))
    assert idle.run_round(client, 60, NOW) == ["kg-a", "kg-b"]
    stubber.assert_no_pending_responses()


def test_given_the_jupyter_api_down_then_the_round_is_skipped_before_any_aws_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    metadata = tmp_path / "resource-metadata.json"
    metadata.write_text(json.dumps({"DomainId": PROFILE.domain_id, "UserProfileName": PROFILE.user_profile_name}))
    monkeypatch.setattr(idle.read_profile, "__defaults__", (str(metadata),))
    runtime = tmp_path / "jpserver-1.json"
    runtime.write_text(json.dumps({"url": "http://127.0.0.1:9/", "token": TOKEN}))  # nothing listens on port 9
    monkeypatch.setattr(idle.find_server, "__defaults__", ((str(runtime),),))
    client, stubber = stubbed([app("kg", 600)], [])
    assert idle.run_round(client, 60, NOW) == []
    assert len(stubber._queue) == 2


def test_a_bug_is_not_swallowed(jupyter: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    idle_world(jupyter, monkeypatch, tmp_path)
    monkeypatch.setattr(idle, "apps_to_delete", lambda *args: 1 / 0)
    client, _ = stubbed([app("kg", 600)], [])
    with pytest.raises(ZeroDivisionError):
        idle.run_round(client, 60, NOW)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda kind: kind.name)
@pytest.mark.parametrize(("operation", "occurrence"), [("ListApps", 1), ("ListApps", 2), ("DeleteApp", 1)])
def test_given_one_fault_then_the_round_is_skipped_and_the_next_one_deletes_the_app(
    jupyter: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kind: Any,
    operation: str,
    occurrence: int,
) -> None:
    idle_world(jupyter, monkeypatch, tmp_path)
    apps = [app("kg-a", 600), app("kg-b", 30)]
    client, _ = stubbed(apps, ["kg-a"])
    with inject(Fault(Call(client.meta.service_model.endpoint_prefix, operation), kind, occurrence)) as injection:
        assert idle.run_round(client, 60, NOW) == []
    assert injection.fired
    retry, stubber = stubbed(apps, ["kg-a"])
    assert idle.run_round(retry, 60, NOW) == ["kg-a"]
    stubber.assert_no_pending_responses()
