"""The Lambda handler behind API Gateway stage ``dev``: real HTTP API v2 events through Mangum."""
from __future__ import annotations

from apigw_events import http_event, json_body

USER = {"username": "gw_user", "password": "correct horse"}


def test_stage_path_routes_to_health(invoke) -> None:
    response = invoke("GET", "/health")
    assert response["statusCode"] == 200
    assert json_body(response) == {"status": "ok"}


def test_docs_page_points_at_the_staged_openapi(invoke) -> None:
    response = invoke("GET", "/docs")
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"].startswith("text/html")
    assert "'/dev/openapi.json'" in response["body"] or '"/dev/openapi.json"' in response["body"]


def test_openapi_lists_every_route_documented(invoke) -> None:
    response = invoke("GET", "/openapi.json")
    assert response["statusCode"] == 200
    spec = json_body(response)
    assert spec["servers"] == [{"url": "/dev"}]
    expected = {("/health", "get"), ("/auth/register", "post"), ("/auth/login", "post"), ("/auth/logout", "post"),
                ("/market/klines", "get"), ("/backtests", "post"), ("/backtests/{backtest_id}", "get")}
    found = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert expected <= found
    for path, method in expected:
        op = spec["paths"][path][method]
        assert op.get("summary") and op.get("description"), (path, method)
        assert any(code.startswith("2") for code in op["responses"]), (path, method)


def test_register_login_logout_through_the_gateway(invoke) -> None:
    assert invoke("POST", "/auth/register", body=USER)["statusCode"] == 201
    login = invoke("POST", "/auth/login", body=USER)
    assert login["statusCode"] == 200
    token = json_body(login)["access_token"]
    assert invoke("POST", "/auth/logout", token=token)["statusCode"] == 200
    refused = invoke("POST", "/auth/logout", token=token)
    assert refused["statusCode"] == 401
    assert json_body(refused)["error"]["code"] == "unauthorized"


def test_base64_encoded_body_is_read(invoke) -> None:
    assert invoke("POST", "/auth/register", body=USER, base64_body=True)["statusCode"] == 201


def test_malformed_json_through_the_gateway_is_400(invoke, row_counts) -> None:
    before = row_counts()
    response = invoke("POST", "/auth/register", raw_body='{"username": "x", ')
    assert response["statusCode"] == 400
    assert json_body(response)["error"]["code"] == "invalid_input"
    assert row_counts() == before


def test_unknown_route_and_wrong_method_use_the_error_body(invoke) -> None:
    missing = invoke("GET", "/no/such/route")
    assert missing["statusCode"] == 404
    assert json_body(missing)["error"]["code"] == "not_found"
    wrong = invoke("DELETE", "/health")
    assert wrong["statusCode"] == 405
    assert json_body(wrong)["error"]["code"] == "method_not_allowed"
    slash = invoke("GET", "/health/")  # not a redirect to a Location without the stage
    assert slash["statusCode"] == 404
    assert json_body(slash)["error"]["code"] == "not_found"


def test_default_stage_serves_at_the_root(invoke, monkeypatch) -> None:
    from functions.api import handler as api_handler
    from shared.settings import get_settings

    monkeypatch.setenv("QC_API_STAGE", "")
    get_settings.cache_clear()
    api_handler.reset()
    response = api_handler.handler(http_event("GET", "/docs", stage=""), None)
    assert response["statusCode"] == 200 and "'/openapi.json'" in response["body"]
    assert json_body(api_handler.handler(http_event("GET", "/health", stage=""), None)) == {"status": "ok"}


PUBLIC = {"/health", "/auth/register", "/auth/login"}


def test_every_route_but_the_public_ones_needs_a_bearer_token(client) -> None:
    # walks the app's own route table (its OpenAPI paths), so a route added later without auth fails here
    paths = {path: ops for path, ops in client.app.openapi()["paths"].items() if path not in PUBLIC}
    assert set(paths) >= {"/market/klines", "/backtests", "/backtests/{backtest_id}", "/auth/logout"}
    for path, operations in paths.items():
        concrete = path.replace("{backtest_id}", "00000000-0000-0000-0000-000000000000")
        for method in operations:
            response = client.request(method, concrete, params={"symbol": "cu_main"}, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
