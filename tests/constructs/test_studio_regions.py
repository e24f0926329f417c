"""Studio everywhere: image accounts for every partition from one table, a readable Rule for the env-agnostic
synth, configurable Studio Classic images, and idle shutdown for every app type that supports it."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sagemaker_platform.compliance import add_compliance_gate
from sagemaker_platform.config import parse_config
from sagemaker_platform.errors import ConfigError, PropsError
from sagemaker_platform.regions import PARTITION_REGIONS, STUDIO_IMAGE_ACCOUNTS, partition_of
from sagemaker_platform.stacks.studio import StudioStack
from tests.registry_helpers import text
from tests.support import resources_of_type

DS3 = "sagemaker-data-science-310-v1"


def studio_template(region: str | None, studio: dict[str, Any]) -> dict[str, Any]:
    config = parse_config({"studio": {"users": ["alice"], **studio}})
    assert config.studio is not None
    app = cdk.App()
    env = None if region is None else cdk.Environment(account="123456789012", region=region)
    StudioStack(app, "Studio", config=config, studio=config.studio, env=env)
    add_compliance_gate(app)
    return app.synth().get_stack_by_name("Studio").template


def user_settings(template: dict[str, Any]) -> dict[str, Any]:
    (domain,) = resources_of_type(template, "AWS::SageMaker::Domain").values()
    return domain["Properties"]["DefaultUserSettings"]


def image_arn(template: dict[str, Any], app: str) -> str:
    """The image ARN with the mapping lookup resolved from the template's own mapping (what CloudFormation does)."""
    arn = user_settings(template)[app]["DefaultResourceSpec"]["SageMakerImageArn"]
    parts = []
    for part in arn["Fn::Join"][1]:
        if isinstance(part, dict) and "Fn::FindInMap" in part:
            mapping, region, key = part["Fn::FindInMap"]
            parts.append(template["Mappings"][mapping][region][key])
        else:
            parts.append(text(part))
    return "".join(parts)


def test_the_table_covers_all_three_partitions_and_only_sagemaker_regions() -> None:
    assert {partition_of(region) for region in STUDIO_IMAGE_ACCOUNTS} == {"aws", "aws-cn", "aws-us-gov"}
    assert set(PARTITION_REGIONS["aws-us-gov"]) <= set(STUDIO_IMAGE_ACCOUNTS)
    assert set(PARTITION_REGIONS["aws-cn"]) <= set(STUDIO_IMAGE_ACCOUNTS)
    # the regions the issue found missing
    for region in ("il-central-1", "eu-central-2", "ca-west-1", "eu-south-2", "mx-central-1", "ap-southeast-5"):
        assert region in STUDIO_IMAGE_ACCOUNTS, region
    assert all(len(account) == 12 and account.isdigit() for account in STUDIO_IMAGE_ACCOUNTS.values())


@pytest.mark.parametrize(("region", "account"), [("il-central-1", "380164790875"), ("us-gov-west-1", "107173498710")])
def test_given_classic_images_then_studio_synthesizes_in_the_region_with_its_image_account(
    region: str, account: str
) -> None:
    template = studio_template(region, {"classic_images": True})
    assert image_arn(template, "JupyterServerAppSettings") == (
        f"arn:<AWS::Partition>:sagemaker:{region}:{account}:image/jupyter-server-3"
    )
    assert image_arn(template, "KernelGatewayAppSettings").endswith(f":{account}:image/datascience-1.0")
    assert "Rules" not in template or "StudioImageRegion" not in template["Rules"]


def test_given_a_region_without_studio_images_then_synth_stops_naming_classic_images() -> None:
    with pytest.raises(PropsError, match=r"classic_images=True: region 'ap-south-2' has no SageMaker Studio"):
        studio_template("ap-south-2", {"classic_images": True})


def test_given_the_env_agnostic_synth_then_a_rule_refuses_unsupported_regions_readably() -> None:
    template = studio_template(None, {"classic_images": True})
    (assertion,) = template["Rules"]["StudioImageRegion"]["Assertions"]
    regions, region = assertion["Assert"]["Fn::Contains"]
    assert region == {"Ref": "AWS::Region"}
    assert regions == sorted(STUDIO_IMAGE_ACCOUNTS) == sorted(template["Mappings"]["StudioImageAccounts"])
    assert "classic_images" in assertion["AssertDescription"] and "il-central-1" in assertion["AssertDescription"]


def test_given_no_classic_images_then_no_rule_and_no_mapping() -> None:
    template = studio_template(None, {"classic_images": False})
    assert "StudioImageRegion" not in template.get("Rules", {})
    assert "StudioImageAccounts" not in template.get("Mappings", {})


def test_given_configured_classic_images_then_the_domain_starts_them() -> None:
    template = studio_template(
        "eu-west-1", {"classic_images": {"kernel_gateway": DS3, "kernel_gateway_instance_type": "ml.m5.large"}}
    )
    assert image_arn(template, "KernelGatewayAppSettings").endswith(f":470317259841:image/{DS3}")
    assert image_arn(template, "JupyterServerAppSettings").endswith(":image/jupyter-server-3")
    assert user_settings(template)["KernelGatewayAppSettings"]["DefaultResourceSpec"]["InstanceType"] == "ml.m5.large"


def test_given_a_bad_classic_image_name_then_one_error_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"`studio.classic_images.kernel_gateway` = \"data science!\""):
        parse_config({"studio": {"classic_images": {"kernel_gateway": "data science!"}}})


@pytest.mark.parametrize("minutes", [90, None])
def test_idle_shutdown_covers_jupyterlab_and_code_editor(minutes: int | None) -> None:
    settings = user_settings(studio_template("eu-west-1", {"idle_shutdown_minutes": minutes}))
    for app in ("JupyterLabAppSettings", "CodeEditorAppSettings"):
        lifecycle = settings.get(app, {}).get("AppLifecycleManagement")
        if minutes is None:
            assert lifecycle is None, app
        else:
            assert lifecycle["IdleSettings"]["LifecycleManagement"] == "ENABLED", app
            assert lifecycle["IdleSettings"]["IdleTimeoutInMinutes"] == minutes, app


# --- Studio Classic: KernelGateway apps through the JupyterServer lifecycle configuration --------------------


def lifecycle_configs(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return resources_of_type(template, "AWS::SageMaker::StudioLifecycleConfig")


def test_given_classic_images_and_idle_minutes_then_the_jupyterserver_runs_the_idle_reaper_by_default(
    tmp_path: Any,
) -> None:
    import base64
    import re
    import subprocess

    from sagemaker_platform.constructs.studio.idle_shutdown import MAX_CONTENT_CHARS, idle_shutdown_script

    template = studio_template("eu-west-1", {"classic_images": True, "idle_shutdown_minutes": 90})
    ((logical_id, config),) = lifecycle_configs(template).items()
    props = config["Properties"]
    assert props["StudioLifecycleConfigAppType"] == "JupyterServer"
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", props["StudioLifecycleConfigName"])
    assert len(props["StudioLifecycleConfigContent"]) <= MAX_CONTENT_CHARS
    # the domain's default JupyterServer app starts with it (and users may pick only it)
    arn = {"Fn::GetAtt": [logical_id, "StudioLifecycleConfigArn"]}
    server = user_settings(template)["JupyterServerAppSettings"]
    assert server["DefaultResourceSpec"]["LifecycleConfigArn"] == arn
    assert server["LifecycleConfigArns"] == [arn]
    # the script: the reaper verbatim, the configured minutes, nothing downloaded, valid bash
    script = base64.b64decode(props["StudioLifecycleConfigContent"]).decode()
    assert idle_shutdown_script().rstrip("\n") in script
    assert "--idle-minutes 90 " in script
    assert not re.search(r"\b(pip|curl|wget|conda install)\b", script)
    path = tmp_path / "on-start.sh"
    path.write_text(script)
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True, check=False).returncode == 0


def test_the_reaper_calls_are_allowed_to_the_users_role_on_its_domains_apps_only() -> None:
    from tests.wiring_helpers import allows, as_list

    template = studio_template("eu-west-1", {"classic_images": True, "idle_shutdown_minutes": 90})
    (domain_id,) = resources_of_type(template, "AWS::SageMaker::Domain")
    role_arn = user_settings(template)["ExecutionRole"]["Fn::GetAtt"][0]
    statements = [
        s
        for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_arn} in p["Properties"].get("Roles", [])
        for s in as_list(p["Properties"]["PolicyDocument"]["Statement"])
    ]
    app_arn = "arn:<AWS::Partition>:sagemaker:eu-west-1:123456789012:app/<{}.DomainId>/alice/KernelGateway/kg-1"
    assert allows(statements, "sagemaker:DeleteApp", app_arn.format(domain_id))
    assert not allows(statements, "sagemaker:DeleteApp", app_arn.format("OtherDomain"))
    assert allows(statements, "sagemaker:ListApps", "*")


@pytest.mark.parametrize("studio", [{"classic_images": True, "idle_shutdown_minutes": None}, {"classic_images": False}])
def test_without_classic_images_or_idle_shutdown_then_no_lifecycle_configuration(studio: dict[str, Any]) -> None:
    template = studio_template("eu-west-1", studio)
    assert not lifecycle_configs(template)
    server = user_settings(template).get("JupyterServerAppSettings", {})
    assert "LifecycleConfigArns" not in server
    assert "LifecycleConfigArn" not in server.get("DefaultResourceSpec", {})


def test_a_new_script_or_new_minutes_gives_the_configuration_a_new_name() -> None:
    names = set()
    for minutes in (60, 120):
        template = studio_template("eu-west-1", {"classic_images": True, "idle_shutdown_minutes": minutes})
        (config,) = lifecycle_configs(template).values()
        names.add(config["Properties"]["StudioLifecycleConfigName"])
    # every property of the resource replaces it, and the replacement is created before the old one is deleted
    assert len(names) == 2
