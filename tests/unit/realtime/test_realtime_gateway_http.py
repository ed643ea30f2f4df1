"""The local HTTP gateway turns requests into API Gateway HTTP API payload v2.0 events."""
from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx

from infra.local.gateway_http import create_app


class AsgiClient:
    """Real ASGI calls into the app through httpx (no network)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(go())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)


class Recorder:
    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        return self.result


def test_text_request_becomes_a_v2_event() -> None:
    handler = Recorder({"statusCode": 201, "headers": {"content-type": "application/json"}, "body": '{"ok":true}',
                        "cookies": ["a=1; Path=/"], "isBase64Encoded": False})
    client = AsgiClient(create_app(handler, "dev"))
    resp = client.post("/dev/auth/login?x=1&y=2&x=3", content=b'{"u":"me"}',
                       headers={"Content-Type": "application/json", "X-Trace": "t1", "Cookie": "s=abc; t=def"})
    assert resp.status_code == 201 and resp.json() == {"ok": True}
    assert resp.headers["set-cookie"] == "a=1; Path=/"
    (event,) = handler.events
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/dev/auth/login"
    assert event["rawQueryString"] == "x=1&y=2&x=3"
    assert event["queryStringParameters"] == {"x": "1,3", "y": "2"}
    assert event["headers"]["content-type"] == "application/json" and event["headers"]["x-trace"] == "t1"
    assert event["cookies"] == ["s=abc", "t=def"] and "cookie" not in event["headers"]
    assert event["body"] == '{"u":"me"}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"]["method"] == "POST" and ctx["http"]["path"] == "/dev/auth/login"
    assert ctx["stage"] == "dev" and ctx["routeKey"] == "$default"


def test_binary_body_is_base64_both_ways() -> None:
    png = bytes([0x89, 0x50, 0x4E, 0x47, 0xFF, 0x00])
    handler = Recorder({"statusCode": 200, "headers": {"content-type": "image/png"},
                        "body": base64.b64encode(png).decode(), "isBase64Encoded": True})
    client = AsgiClient(create_app(handler, "dev"))
    resp = client.put("/dev/upload", content=png, headers={"Content-Type": "application/octet-stream"})
    assert resp.content == png
    (event,) = handler.events
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == png


def test_outside_the_stage_is_404_and_a_crash_is_500() -> None:
    def broken(event: dict[str, Any], context: Any) -> dict[str, Any]:
        raise RuntimeError("boom")

    client = AsgiClient(create_app(broken, "dev"))
    assert client.get("/health").status_code == 404
    assert client.get("/dev/health").status_code == 500


def test_concurrent_requests_reach_the_real_handler_one_at_a_time(monkeypatch) -> None:
    # Mangum runs the app on its thread's event loop: called from several threads at once it raised
    # "no current event loop" and the gateway answered 500 to all but the first
    from functions.api import handler as api_handler

    monkeypatch.setenv("QC_API_STAGE", "/dev")
    api_handler.reset()
    app = create_app(api_handler.handler, "dev")

    async def go() -> list[int]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            responses = await asyncio.gather(*(client.get("/dev/health") for _ in range(16)))
        return [r.status_code for r in responses]

    try:
        assert asyncio.run(go()) == [200] * 16
    finally:
        api_handler.reset()
