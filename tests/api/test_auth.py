"""Temporary keys (``studio.api.auth.TemporaryKeys``) against the local server's ``/v1/api_keys``."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from studio.api.auth import StaticKey, TemporaryKeys
from studio.api.errors import AuthenticationError, ConfigurationError, HttpError, NetworkError, ProtocolError
from studio.api.http import RetryPolicy
from studio.local.faults import HttpFault
from studio.local.server import LocalServer
from tests.fakes.server import SERVER_KEY

KEY = SERVER_KEY


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def batch_accepts(server: LocalServer, token: str) -> bool:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server.urls.batch}/jobs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401)
    return response.status_code == 200


async def test_a_temporary_key_is_made_and_works(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.urls.management, ttl=60)
    token = await keys.token("batch")
    assert token and token != KEY
    assert await batch_accepts(server, token)
    assert not await batch_accepts(server, "made-up-token-0123")
    assert keys.requests == 1


async def test_keys_are_cached_until_shortly_before_expiry(server: LocalServer) -> None:
    clock = Clock()
    keys = TemporaryKeys(KEY, management_url=server.urls.management, ttl=600, margin=60, clock=clock)
    first = await keys.token("batch")
    clock.now += 539
    assert await keys.token("batch") == first
    assert keys.requests == 1
    clock.now += 1  # 540 s = ttl - margin: time for a new one
    second = await keys.token("batch")
    assert second != first and keys.requests == 2
    assert await batch_accepts(server, second)
    clock.now += 100
    assert await keys.token("batch") == second and keys.requests == 2


async def test_each_kind_has_its_own_key(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.urls.management)
    rt, batch, tts = [await keys.token(kind) for kind in ("rt", "batch", "tts")]
    assert len({rt, batch, tts}) == 3 and keys.requests == 3
    assert await batch_accepts(server, batch)
    assert not await batch_accepts(server, rt)  # a realtime key does not open the batch API
    assert not await batch_accepts(server, tts)


async def test_forget_makes_the_next_call_fetch_again(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.urls.management)
    first = await keys.token("rt")
    await keys.token("tts")
    keys.forget("rt")
    assert await keys.token("rt") != first and keys.requests == 3
    await keys.token("tts")
    assert keys.requests == 3
    keys.forget()
    await keys.token("tts")
    assert keys.requests == 4


async def test_concurrent_callers_share_one_request(server: LocalServer) -> None:
    keys = TemporaryKeys(KEY, management_url=server.urls.management)
    tokens = await asyncio.gather(*(keys.token("batch") for _ in range(5)))
    assert len(set(tokens)) == 1 and keys.requests == 1


async def test_the_request_matches_the_protocol(server: LocalServer) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        keys = TemporaryKeys(KEY, management_url=server.urls.management + "/", ttl=120, client_ref="USER123",
                             client=http)
        await keys.token("tts")
    request = seen[0]
    assert request.method == "POST" and request.url.path == "/v1/api_keys"
    assert request.url.params["type"] == "tts"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert json.loads(request.content) == {"ttl": 120, "client_ref": "USER123"}


async def test_only_201_is_accepted(server: LocalServer) -> None:
    server.faults.http.append(HttpFault("/v1/api_keys", status=200, body=b'{"apikey_id": null, "key_value": "k"}'))
    keys = TemporaryKeys(KEY, management_url=server.urls.management)
    with pytest.raises(ProtocolError, match="200 instead of 201"):
        await keys.token("rt")
    server.faults.http.append(HttpFault("/v1/api_keys", status=201, body=b'{"apikey_id": null}'))
    with pytest.raises(ProtocolError, match="key_value"):
        await keys.token("rt")
    server.faults.http.append(HttpFault("/v1/api_keys", status=201, body=b"not json"))
    with pytest.raises(ProtocolError):
        await keys.token("rt")
    assert await keys.token("rt")  # and a proper 201 works


async def test_a_rejected_api_key_is_an_authentication_error(server: LocalServer,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    keys = TemporaryKeys("not-a-known-key-0123456", management_url=server.urls.management)
    with pytest.raises(AuthenticationError) as caught:
        await keys.token("batch")
    assert "not-a-known-key" not in str(caught.value)
    server.faults.http.append(HttpFault("/v1/api_keys", status=401))
    with pytest.raises(AuthenticationError):
        await TemporaryKeys(KEY, management_url=server.urls.management).token("rt")
    assert "not-a-known-key" not in caplog.text and KEY not in caplog.text


async def test_ttl_limits(server: LocalServer) -> None:
    for ttl in (59, 86401):
        with pytest.raises(ConfigurationError):
            TemporaryKeys(KEY, management_url=server.urls.management, ttl=ttl)
    # The server's own 422 answers, as the JS SDK's tests show them.
    cases: list[tuple[object, str]] = [
        (59, "ttl in body should be greater than or equal to 60"),
        (86401, "ttl in body should be less than or equal to 86400"),
        ("60", "ttl in body must be of type integer")]
    async with httpx.AsyncClient() as http:
        for bad_ttl, message in cases:
            response = await http.post(f"{server.urls.management}/v1/api_keys", params={"type": "rt"},
                                       json={"ttl": bad_ttl}, headers={"Authorization": f"Bearer {KEY}"})
            assert response.status_code == 422 and response.json() == {"message": message}
    # A 422 reaching the client becomes an HttpError carrying the server's message.
    body = json.dumps({"message": "ttl in body should be greater than or equal to 60"}).encode()
    server.faults.http.append(HttpFault("/v1/api_keys", status=422, body=body))
    with pytest.raises(HttpError) as caught:
        await TemporaryKeys(KEY, management_url=server.urls.management).token("rt")
    assert caught.value.status == 422 and caught.value.error == "ttl in body should be greater than or equal to 60"


async def test_key_service_failures_are_retried_when_asked(server: LocalServer) -> None:
    server.faults.http.append(HttpFault("/v1/api_keys", status=503, times=2))
    keys = TemporaryKeys(KEY, management_url=server.urls.management,
                         retry=RetryPolicy(attempts=3, base_delay=0.001, jitter=0.0))
    assert await keys.token("batch") and keys.requests == 1
    server.faults.http.append(HttpFault("/v1/api_keys", status=503))
    with pytest.raises(HttpError) as caught:
        await TemporaryKeys(KEY, management_url=server.urls.management).token("batch")  # no retries by default
    assert caught.value.status == 503


async def test_unreachable_key_service_and_missing_keys() -> None:
    with pytest.raises(NetworkError):
        await TemporaryKeys(KEY, management_url="http://127.0.0.1:9").token("rt")
    for missing in (None, "", "   "):
        with pytest.raises(ConfigurationError):
            TemporaryKeys(missing)
        with pytest.raises(ConfigurationError):
            StaticKey(missing)
    assert await StaticKey(f"  {KEY} ").token("tts") == KEY
