"""The hub service on AWS: a Lambda function behind a function URL with ``AuthType: AWS_IAM``.

AWS authenticates every request (SigV4) before the function runs, and puts the caller into the
event's ``requestContext.authorizer.iam`` (payload format 2.0): ``accountId``, ``userArn``,
``userId``, ``callerId``, ``accessKey`` and ``principalOrgId``. The caller's role and person are read
from there (the assumed-role ARN: ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``, where the identity
provider sets SESSION and the human roles' trust policies require ``sts:SourceIdentity``), never from
the body. An event without that context is refused: the service never runs unauthenticated.

The function runs under its own execution role, the only principal the hub's resource policies let
write the registry, the audit log and the model cards. It is deployed with the platform config it
enforces (``platform.yaml`` in the bundle, its sha256 pinned in ``GOVHUB_PLATFORM_CONFIG_SHA256``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from govhub.core.ports import Actor
from govhub.service.app import HubService, Response

CONFIG_ENV, DIGEST_ENV = "GOVHUB_PLATFORM_CONFIG", "GOVHUB_PLATFORM_CONFIG_SHA256"


class ConfigMismatch(RuntimeError):
    pass


def caller_from_event(event: dict[str, Any]) -> Actor | None:
    """The authenticated caller of a function-URL request, or None when the event carries no IAM context."""
    iam = ((event.get("requestContext") or {}).get("authorizer") or {}).get("iam") or {}
    arn, account = iam.get("userArn"), iam.get("accountId")
    if not isinstance(arn, str) or not arn.startswith("arn:aws") or not isinstance(account, str):
        return None
    actor = Actor.from_arn(arn)
    if actor.account != account:
        return None
    return actor


def function_url_event(
    body: str,
    identity: dict[str, Any],
    *,
    function_account: str,
    region: str,
    access_key: str = "",
    url_id: str = "govhub-hub-service",
) -> dict[str, Any]:
    """The event a function URL with AWS_IAM auth delivers for one POST, in payload format 2.0 (the shape
    the AWS Lambda Developer Guide prints, tests/fixtures/provider-formats/aws_lambda), with the caller
    ``identity`` as ``sts:GetCallerIdentity`` reports it (Arn, Account, UserId). Used where no Lambda
    runtime exists (the emulator) and by the tests."""
    import time
    import uuid

    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "x-amzn-trace-id": f"Root=1-{int(now):x}-{uuid.uuid4().hex[:24]}",
        },
        "requestContext": {
            "accountId": function_account,
            "apiId": url_id,
            "authentication": None,
            "authorizer": {
                "iam": {
                    "accessKey": access_key,
                    "accountId": identity["Account"],
                    "callerId": identity["UserId"],
                    "cognitoIdentity": None,
                    "principalOrgId": None,
                    "userArn": identity["Arn"],
                    "userId": identity["UserId"],
                }
            },
            "domainName": f"{url_id}.lambda-url.{region}.on.aws",
            "domainPrefix": url_id,
            "http": {
                "method": "POST",
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "govhub",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": body,
        "pathParameters": None,
        "isBase64Encoded": False,
        "stageVariables": None,
    }


def load_platform(path: str | Path, pinned: str | None) -> Any:
    from govhub.config import load_config

    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if pinned and digest != pinned:
        raise ConfigMismatch(f"{path} has sha256 {digest[:12]}…, but the deployment pins {pinned[:12]}…")
    return load_config(path)


def build_service(session: Any, config: Any, cache_dir: Path) -> HubService:
    """The service over the hub's AWS resources, with ``session`` (the service role) for every write."""
    from govhub.backends.aws.hub import AwsHubCoordinates, services

    base = services(session, AwsHubCoordinates.from_config(config))
    base = dataclasses.replace(base, platform=config, cache_dir=cache_dir)
    return HubService(lambda actor: dataclasses.replace(base, actor=actor))


@cache
def _service() -> HubService:
    import boto3

    root = Path(os.environ.get("LAMBDA_TASK_ROOT", "."))
    config = load_platform(os.environ.get(CONFIG_ENV, root / "platform.yaml"), os.environ.get(DIGEST_ENV))
    return build_service(boto3.Session(), config, Path("/tmp/govhub/policies"))


def http(response: Response) -> dict[str, Any]:
    return {
        "statusCode": response.status,
        "headers": {"content-type": "application/json", "cache-control": "no-store"},
        "body": json.dumps(response.body, default=str),
    }


def respond(event: dict[str, Any], service: HubService | None) -> dict[str, Any]:
    """One function-URL event in, one HTTP response out."""
    actor = caller_from_event(event)
    if actor is None:
        return http(
            Response(
                401,
                {
                    "ok": False,
                    "exit_code": 2,
                    "message": "the request is not IAM-authenticated; call the "
                    "function URL with SigV4-signed requests (`govhub` does)",
                },
            )
        )
    method = ((event.get("requestContext") or {}).get("http") or {}).get("method", "POST")
    if method != "POST":
        return http(
            Response(405, {"ok": False, "exit_code": 2, "message": f"{method} is not served; POST a JSON request"})
        )
    if service is None:
        raise ConfigMismatch("the hub service is not configured")
    body = event.get("body") or ""
    if event.get("isBase64Encoded") and body:
        try:
            body = base64.b64decode(body).decode()
        except (ValueError, UnicodeDecodeError):
            return http(Response(400, {"ok": False, "exit_code": 2, "message": "the body is not valid base64 UTF-8"}))
    return http(service.handle(body, actor))


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda entry point (``govhub.service.aws_lambda.handler``)."""
    if caller_from_event(event) is None:
        return respond(event, None)  # refused before anything is loaded or called
    try:
        service = _service()
    except ConfigMismatch as exc:
        return http(Response(500, {"ok": False, "exit_code": 2, "message": f"the hub service refuses to run: {exc}"}))
    return respond(event, service)
