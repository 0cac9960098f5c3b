"""A recording HTTP server on 127.0.0.1 for SDKs whose REST transport can point at any endpoint (the
Pub/Sub and Vertex clients with ``transport="rest"``). Routes answer with bodies in the service's
published REST format; every request is recorded; an unrouted request is a 404 in Google's error format."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[re.Match, Any], tuple[int, Any]]


class Recorded:
    def __init__(self, method: str, path: str, query: str, headers: dict[str, str], body: Any):
        self.method, self.path, self.query, self.headers, self.body = method, path, query, headers, body

    def __repr__(self) -> str:
        return f"{self.method} {self.path}"


class FakeRest:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.url = ""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.insert(0, (method, re.compile(pattern), handler))  # later routes take precedence

    def answer(self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        body: Any = json.loads(raw) if raw and "json" in headers.get("content-type", "json") else raw
        self.requests.append(Recorded(method, path, query, headers, body))
        for m, pattern, handler in self.routes:
            match = pattern.search(path)
            if m == method and match:
                return handler(match, body)
        return 404, {"error": {"code": 404, "message": f"{method} {path} not found", "status": "NOT_FOUND"}}


@contextmanager
def fake_rest() -> Iterator[FakeRest]:
    fake = FakeRest()

    class Handle(BaseHTTPRequestHandler):
        def _do(self) -> None:
            path, _, query = self.path.partition("?")
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            status, payload = fake.answer(
                self.command, path, query, {k.lower(): v for k, v in self.headers.items()}, raw
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
