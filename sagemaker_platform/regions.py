"""AWS partitions and the regions in each where Amazon SageMaker is offered.

A static table (not botocore's endpoint data) so that synth needs neither boto3 nor the network.
Source: botocore's partition data for the `sagemaker` service, late 2026.
"""

from __future__ import annotations

PARTITION_REGIONS: dict[str, tuple[str, ...]] = {
    "aws": (
        "af-south-1",
        "ap-east-1",
        "ap-east-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-6",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    ),
    "aws-cn": ("cn-north-1", "cn-northwest-1"),
    "aws-us-gov": ("us-gov-east-1", "us-gov-west-1"),
}

ALL_REGIONS: tuple[str, ...] = tuple(sorted(r for regions in PARTITION_REGIONS.values() for r in regions))


def partition_of(region: str) -> str:
    """The partition (`aws`, `aws-cn`, `aws-us-gov`) a known region belongs to.

    Raises KeyError for a region that is not in the table.
    """
    for partition, regions in PARTITION_REGIONS.items():
        if region in regions:
            return partition
    raise KeyError(region)


def url_suffix_of(region: str) -> str:
    """The DNS suffix of the partition of `region` (`amazonaws.com` or `amazonaws.com.cn`)."""
    return "amazonaws.com.cn" if partition_of(region) == "aws-cn" else "amazonaws.com"


# Account that publishes SageMaker's own Studio images (Studio Classic's jupyter-server-3, datascience-1.0,
# sagemaker-base-python, ...) in each region: image ARNs are arn:<partition>:sagemaker:<region>:<account>:image/<name>.
# Source: the SageMaker Python SDK 2.257.7, sagemaker/image_uri_config/sagemaker-base-python.json (the
# "registries" of version 1.0), restricted to the aws, aws-cn and aws-us-gov partitions above (the SDK also
# lists the isolated us-isof-* regions). Regions of PARTITION_REGIONS missing here have no published Studio
# images (Studio Classic with `classic_images` is refused there, at synth or by a CloudFormation Rule).
STUDIO_IMAGE_ACCOUNTS: dict[str, str] = {
    "af-south-1": "559312083959",
    "ap-east-1": "493642496378",
    "ap-east-2": "938034419563",
    "ap-northeast-1": "102112518831",
    "ap-northeast-2": "806072073708",
    "ap-northeast-3": "792733760839",
    "ap-south-1": "394103062818",
    "ap-southeast-1": "492261229750",
    "ap-southeast-2": "452832661640",
    "ap-southeast-3": "276181064229",
    "ap-southeast-5": "148761635175",
    "ap-southeast-7": "528757812139",
    "ca-central-1": "310906938811",
    "ca-west-1": "623308166672",
    "cn-north-1": "390048526115",
    "cn-northwest-1": "390780980154",
    "eu-central-1": "936697816551",
    "eu-central-2": "569303640362",
    "eu-north-1": "243637512696",
    "eu-south-1": "592751261982",
    "eu-south-2": "127363102723",
    "eu-west-1": "470317259841",
    "eu-west-2": "712779665605",
    "eu-west-3": "615547856133",
    "il-central-1": "380164790875",
    "me-central-1": "103105715889",
    "me-south-1": "117516905037",
    "mx-central-1": "396913743851",
    "sa-east-1": "782484402741",
    "us-east-1": "081325390199",
    "us-east-2": "429704687514",
    "us-gov-east-1": "107072934176",
    "us-gov-west-1": "107173498710",
    "us-west-1": "742091327244",
    "us-west-2": "236514542706",
}
