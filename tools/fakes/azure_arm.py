"""A fake Azure Resource Manager (and any other Azure REST host) behind azure-core's transport: azure-ai-ml's real MLClient (its
operations, serialization and REST models) runs unchanged, and only the HTTP exchange is answered
here. Every request is recorded for assertions; an unrouted request is a 404 in ARM's error format."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from azure.core.credentials import AccessToken
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest._requests_basic import RestRequestsTransportResponse

SUB, RG, WS = "00000000-0000-0000-0000-000000000000", "ml-fraud", "fraud-ws"
WS_PATH = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.MachineLearningServices/workspaces/{WS}"


class FakeCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        import jwt  # azure-ai-ml reads claims from the token, so it must be a (fake, unsigned-for-us) JWT

        expires = int(time.time()) + 3600
        claims = {
            "exp": expires,
            "oid": "11111111-1111-1111-1111-111111111111",
            "tid": SUB,
            "upn": "ds@acme.example",
            "aud": (scopes[0] if scopes else "https://management.azure.com/.default").removesuffix("/.default"),
        }
        return AccessToken(jwt.encode(claims, "fake-signing-key-of-32-bytes-minimum!", algorithm="HS256"), expires)


class FakeArm(HttpTransport):
    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.routes: list[tuple[str, re.Pattern, Callable[[re.Match, Any], tuple[int, Any]]]] = []
        self.hosts: set[str] = set()
        self.query: dict[str, str] = {}
        """The hosts the client called, and the last request's query parameters."""

    def route(self, method: str, pattern: str, handler: Callable[[re.Match, Any], tuple[int, Any]]) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def __enter__(self) -> FakeArm:
        return self

    def __exit__(self, *args: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, request: Any, **kwargs: Any) -> Any:
        url = urlsplit(request.url)
        path, self.query = url.path, dict(parse_qsl(url.query))
        self.hosts.add(url.netloc)
        # azure.core.rest.HttpRequest has .content; the older pipeline HttpRequest (the Event Grid client) has .body
        body = request.content if hasattr(request, "content") else request.body
        if isinstance(body, (bytes, str)) and body:
            body = json.loads(body)
        self.requests.append((request.method, path, body))
        for method, pattern, handler in self.routes:
            match = pattern.search(path)
            if method == request.method and match:
                status, payload = handler(match, body)
                break
        else:
            status, payload = 404, {"error": {"code": "ResourceNotFound", "message": f"{request.method} {path}"}}
        raw = requests.Response()
        raw.status_code = status
        raw.headers["content-type"] = "application/json"
        raw._content = json.dumps(payload).encode()
        raw.url = request.url
        response = RestRequestsTransportResponse(request=request, internal_response=raw)
        response._content = raw._content  # fully "read": nothing streams from a fake
        response._is_closed = True
        return response


def ml_client(arm: FakeArm) -> Any:
    from azure.ai.ml import MLClient

    return MLClient(FakeCredential(), SUB, RG, WS, transport=arm)


def serve_workspace(arm: FakeArm) -> None:
    """An online deployment with data collection on, its collected data assets, and schedules."""

    def deployment(m: re.Match, body: Any) -> tuple[int, Any]:
        data = f"{WS_PATH}/data/{m[1]}-{m[2]}-model_"
        return 200, {
            "id": f"{WS_PATH}/onlineEndpoints/{m[1]}/deployments/{m[2]}",
            "name": m[2],
            "location": "westeurope",
            "sku": {"name": "Default", "capacity": 1},
            "properties": {
                "endpointComputeType": "Managed",
                "model": f"{WS_PATH}/models/credit/versions/7",
                "instanceType": "Standard_DS3_v2",
                "scaleSettings": {"scaleType": "Default"},
                "dataCollector": {
                    "collections": {
                        "model_inputs": {"dataCollectionMode": "Enabled", "dataId": data + "inputs/versions/1"},
                        "model_outputs": {"dataCollectionMode": "Enabled", "dataId": data + "outputs/versions/1"},
                    }
                },
            },
        }

    def data(m: re.Match, body: Any) -> tuple[int, Any]:
        return 200, {
            "id": f"{WS_PATH}/data/{m[1]}/versions/{m[2]}",
            "name": m[2],
            "properties": {
                "dataType": "uri_folder" if "model_" in m[1] else "mltable",
                "dataUri": f"azureml://datastores/workspaceblobstore/paths/{m[1]}/",
            },
        }

    arm.route("GET", r"/onlineEndpoints/([^/]+)/deployments/([^/]+)$", deployment)
    arm.route("GET", r"/data/([^/]+)/versions/([^/]+)$", data)
    arm.route(
        "PUT",
        r"/schedules/([^/]+)$",
        lambda m, body: (200, {**body, "id": f"{WS_PATH}/schedules/{m[1]}", "name": m[1]}),
    )
    arm.route(
        "GET",
        r"/computes/([^/]+)$",
        lambda m, body: (
            200,
            {
                "id": f"{WS_PATH}/computes/{m[1]}",
                "name": m[1],
                "location": "westeurope",
                "properties": {
                    "computeType": "AmlCompute",
                    "provisioningState": "Succeeded",
                    "properties": {"vmSize": "STANDARD_DS3_V2", "scaleSettings": {"maxNodeCount": 4}},
                },
            },
        ),
    )
    arm.route("PUT", r"/jobs/([^/]+)$", lambda m, body: (201, {**body, "id": f"{WS_PATH}/jobs/{m[1]}", "name": m[1]}))
