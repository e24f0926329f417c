"""The JSON schema API Gateway validates prediction requests against (before the API function runs)."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_apigateway as apigw

_STRING = apigw.JsonSchemaType.STRING
_OBJECT = apigw.JsonSchemaType.OBJECT


def request_schema(target_names: Sequence[str]) -> apigw.JsonSchema:
    """`PredictionRequest`: a known `service` (service or ensemble name), optional token, content type, notification."""
    return apigw.JsonSchema(
        schema=apigw.JsonSchemaVersion.DRAFT4,
        title="PredictionRequest",
        type=_OBJECT,
        required=["service"],
        additional_properties=False,
        properties={
            "service": apigw.JsonSchema(type=_STRING, enum=list(target_names)),
            "client_token": apigw.JsonSchema(type=_STRING, pattern="^[A-Za-z0-9._-]{1,64}$"),
            "content_type": apigw.JsonSchema(type=_STRING, pattern=r"^[\w.+-]+/[\w.+-]+(;.{1,200})?$"),
            "notification": apigw.JsonSchema(
                one_of=[
                    _notification("none", {}),
                    _notification(
                        "webhook", {"url": apigw.JsonSchema(type=_STRING, pattern="^https://", max_length=2048)}
                    ),
                    _notification("sns", {"topic_arn": apigw.JsonSchema(type=_STRING, pattern="^arn:aws[a-z-]*:sns:")}),
                ]
            ),
        },
    )


def _notification(kind: str, fields: dict[str, apigw.JsonSchema]) -> apigw.JsonSchema:
    """One notification variant: `type` equal to `kind`, plus its required `fields`, nothing else."""
    return apigw.JsonSchema(
        type=_OBJECT,
        required=["type", *fields],
        additional_properties=False,
        properties={"type": apigw.JsonSchema(type=_STRING, enum=[kind]), **fields},
    )
