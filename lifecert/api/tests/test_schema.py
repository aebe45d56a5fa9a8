"""The served OpenAPI schema: schemathesis against the app, and every status
code the schema documents produced for real.

schemathesis calls the WSGI app in this process (the test database, no
server): bounded by ``max_examples`` per operation and a deadline per example,
derandomised so that CI runs the same examples each time.
"""

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from lifecert.api.models import Scope
from lifecert.demo.testing import make_certification

from .helpers import call, token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app(db: None) -> Iterator[Any]:
    # As Django's test client does: a request must not close the test's
    # connection (and with it the transaction the test runs in).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(wsgi_app: Any, personas: Any) -> dict[str, str]:
    make_certification(personas.entitlement)
    return {"Authorization": f"Bearer {token_for(None)}"}


# Loaded when the module is collected (pytest-django has set Django up by
# then; serving the schema reads no table). ``from_fixture`` would load it
# later, but it reads a private attribute pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=datetime.timedelta(seconds=5),
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_schema(case: Any, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)


def test_the_schema_and_its_browsable_page_are_served_locally(client: Client) -> None:
    response = client.get("/api/v1/schema/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "LifeCert 系统接口"
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    # Swagger UI from the sidecar's static files, its script a file too: no
    # CDN, nothing inline for the content security policy to refuse.
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    assert "cdn" not in html.lower()
    assert "<script>" not in html
    assert "script-src 'self'" in page["Content-Security-Policy"]


# ---------------------------------------------------------------- every status


def _yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def _batch(p: Any, batch_id: str = "s-1", **row: Any) -> dict[str, Any]:
    values = {"ssn": p.pensioner.ssn, "name": "杨书维", "date": _yesterday(), **row}
    return {"batch_id": batch_id, "rows": [values]}


Make = Callable[[Client, Any], Any]


def _throttled(path: str, body: Any = None) -> Make:
    """A second call without a token past a refused-call rate of one."""

    def make(c: Client, p: Any) -> Any:
        with override_settings(API_REFUSED_RATE="1/hour"):
            call(c, path, None, body)
            return call(c, path, None, body)

    return make


def _push(path: str) -> dict[int, Make]:
    def conflict(c: Client, p: Any) -> Any:
        plain = token_for(p.region)
        call(c, path, plain, _batch(p, "c-1"))
        return call(c, path, plain, _batch(p, "c-1", name="杨树维"))

    def too_large(c: Client, p: Any) -> Any:
        with override_settings(API_MAX_REQUEST_BYTES=10):
            return call(c, path, token_for(p.region), _batch(p))

    return {
        200: lambda c, p: call(c, path, token_for(p.region), _batch(p)),
        400: lambda c, p: call(c, path, token_for(p.region), {"rows": []}),
        401: lambda c, p: call(c, path, None, _batch(p)),
        403: lambda c, p: call(c, path, token_for(p.region, [Scope.READ_STATUS]), {}),
        409: conflict,
        413: too_large,
        429: _throttled(path, {}),
    }


def _pull(path: str) -> dict[int, Make]:
    return {
        200: lambda c, p: call(c, path, token_for(p.region)),
        400: lambda c, p: call(c, path, token_for(p.region), cursor="x"),
        401: lambda c, p: call(c, path, None),
        403: lambda c, p: call(c, path, token_for(p.region, [Scope.READ_STATUS])),
        429: _throttled(path),
    }


def _status_too_large(c: Client, p: Any) -> Any:
    with override_settings(API_MAX_REQUEST_BYTES=10):
        return call(c, "/api/v1/status/", token_for(p.region), {"ssn": p.pensioner.ssn})


STATUS = "/api/v1/status/"
PRODUCE: dict[tuple[str, str], dict[int, Make]] = {
    (STATUS, "post"): {
        200: lambda c, p: call(
            c, STATUS, token_for(p.region), {"ssn": p.pensioner.ssn}
        ),
        400: lambda c, p: call(c, STATUS, token_for(p.region), {"ssn": "1"}),
        401: lambda c, p: call(c, STATUS, None, {"ssn": p.pensioner.ssn}),
        403: lambda c, p: call(
            c, STATUS, token_for(p.region, [Scope.PUSH_DEATHS]), {"ssn": "1"}
        ),
        404: lambda c, p: call(
            c, STATUS, token_for(p.other_region), {"ssn": p.pensioner.ssn}
        ),
        413: _status_too_large,
        429: _throttled(STATUS, {}),
    },
    ("/api/v1/evidence/", "post"): _push("/api/v1/evidence/"),
    ("/api/v1/deaths/", "post"): _push("/api/v1/deaths/"),
    **{
        (f"/api/v1/{name}/", "get"): _pull(f"/api/v1/{name}/")
        for name in ("certifications", "suspensions", "resumptions", "overpayments")
    },
}


def _documented(client: Client) -> dict[tuple[str, str], set[int]]:
    paths = client.get("/api/v1/schema/?format=json").json()["paths"]
    return {
        (path, method): {int(code) for code in operation["responses"]}
        for path, methods in paths.items()
        for method, operation in methods.items()
    }


def test_every_documented_status_is_one_the_api_gives(
    client: Client, personas: Any
) -> None:
    documented = _documented(client)
    assert {k: set(v) for k, v in PRODUCE.items()} == documented
    for (path, method), makers in PRODUCE.items():
        for status, make in makers.items():
            response = make(client, personas)
            assert response.status_code == status, (path, method, status)
            if status != 200:
                assert response.json()["errors"][0]["message"], (path, status)
