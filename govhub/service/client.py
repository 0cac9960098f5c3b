"""How the CLI reaches the hub service.

- :class:`FunctionUrlClient`: HTTPS to the function URL, signed with SigV4 (service ``lambda``) by the
  caller's own credentials; AWS authenticates the request and hands the function the caller's identity.
- :class:`InProcessClient`: the emulator only. moto stores the deployed function but cannot execute
  Lambda code, so the same handler runs in this process, under the service role's emulator
  credentials, on the exact event a function URL would deliver, with the caller's identity as the
  emulator's STS authenticates it. The CLI says so on screen whenever it is used.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Protocol

from govhub.service.app import HubService


class ServiceUnavailable(RuntimeError):
    """The hub service could not be reached; the message says what to check."""


class ServiceClient(Protocol):
    def call(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]: ...


class FunctionUrlClient:
    def __init__(self, url: str, session: Any, region: str, timeout: float = 60.0):
        self.url, self.session, self.region, self.timeout = url, session, region, timeout

    def call(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps(request).encode()
        credentials = self.session.get_credentials()
        if credentials is None:
            raise ServiceUnavailable("no AWS credentials to sign the request: sign in (aws sso login) and retry")
        signed = AWSRequest(method="POST", url=self.url, data=body, headers={"content-type": "application/json"})
        SigV4Auth(credentials.get_frozen_credentials(), "lambda", self.region).add_auth(signed)
        http = urllib.request.Request(self.url, data=body, headers=dict(signed.headers.items()), method="POST")
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as reply:  # noqa: S310 - an https URL from config
                return reply.status, json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, {
                    "ok": False,
                    "exit_code": 2,
                    "message": f"the hub service answered {exc.code}: {raw[:200]!r}",
                }
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ServiceUnavailable(
                f"cannot reach the hub service at {self.url} ({exc}); check the URL and network"
            ) from None


class InProcessClient:
    """Emulator only: the real handler, in this process, on a function-URL event (see the module doc)."""

    def __init__(self, caller_session: Any, service: HubService, function_account: str, region: str):
        self.caller_session, self.service = caller_session, service
        self.function_account, self.region = function_account, region

    def call(self, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        from govhub.service.aws_lambda import function_url_event, respond

        identity = self.caller_session.client("sts", region_name=self.region).get_caller_identity()
        credentials = self.caller_session.get_credentials()
        event = function_url_event(
            json.dumps(request),
            identity,
            function_account=self.function_account,
            region=self.region,
            access_key=credentials.access_key if credentials else "",
        )
        reply = respond(event, self.service)
        return reply["statusCode"], json.loads(reply["body"])
