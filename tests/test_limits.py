"""Rate limits per key and per tenant (memory, and Redis when it runs here), and body limits enforced while the
body streams in: a real server over real sockets."""

import asyncio
import contextlib
import os
import socket
import time
import uuid
from urllib.parse import urlparse

import pytest

from concierge.tools.auth.ratelimit import RateLimiter
from concierge.tools.settings import Settings
from tests.conftest import LiveServer, add_tenant_sync

REDIS_URL = os.environ.get("CONCIERGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_a_key_over_its_limit_gets_429_with_retry_after_and_others_go_on(settings: Settings) -> None:
    settings = settings.model_copy(update={"rate_limit_key": "3/minute", "rate_limit_tenant": "5/minute"})
    other_tenant = add_tenant_sync(settings, "rival")
    server = LiveServer(settings).start()
    try:
        with server.client() as client:
            assert [client.get("/usage/alerts").status_code for _ in range(3)] == [200, 200, 200]
            r = client.get("/usage/alerts")
            assert r.status_code == 429 and "rate limit" in r.json()["detail"]
            assert 1 <= int(r.headers["Retry-After"]) <= 60
            assert client.get("/ok").status_code == 200, "the open routes are not counted"
        with server.client(other_tenant) as rival:
            assert rival.get("/usage/alerts").status_code == 200, "another tenant is not slowed by this one"
    finally:
        server.stop()


def test_a_tenants_own_rate_limit_applies_to_all_its_keys(settings: Settings) -> None:
    server = LiveServer(settings.model_copy(update={"rate_limit_tenant": "4/minute"})).start()
    try:
        with server.client() as client:
            keys = [
                client.post("/admin/tenants/demo/keys", json={"scopes": ["analytics:view"]}).json()["key"]
                for _ in range(2)
            ]
        codes = []
        for i in range(4):
            with server.client(keys[i % 2]) as client:
                codes.append(client.get("/usage/alerts").status_code)
        assert codes.count(429) >= 2, f"the tenant's 4/minute covers every key: {codes}"
    finally:
        server.stop()


async def test_limits_on_redis_are_shared_between_limiters() -> None:
    """Two limiters (two replicas) on one Redis share the count; a prefix of our own keeps other tests apart."""
    host, port = urlparse(REDIS_URL).hostname or "127.0.0.1", urlparse(REDIS_URL).port or 6379
    try:
        socket.create_connection((host, port), timeout=0.5).close()
    except OSError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"concierge-test-{uuid.uuid4().hex}"
    a, b = RateLimiter(REDIS_URL, key_prefix=prefix), RateLimiter(REDIS_URL, key_prefix=prefix)
    assert a.backend == "redis"
    checks = [("2/minute", ("key", "k1"))]
    assert await a.hit(checks) is None and await b.hit(checks) is None
    wait = await a.hit(checks)
    assert wait is not None and 1 <= wait <= 60, "the third hit, on either replica, is refused"
    assert await b.hit([("2/minute", ("key", "k2"))]) is None, "another key has its own count"
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        stale = [k async for k in client.scan_iter(f"{prefix}*")]
        assert stale, "the counts live in Redis"
        await client.delete(*stale)
    finally:
        await client.aclose()


def _raw(url: str, head: bytes, chunks: list[bytes], pause: float = 0.0) -> tuple[int, bytes, int]:
    """Send a request by hand: headers, then body chunks until the server answers or closes. Returns the status,
    the response, and how many body bytes were sent before the answer came."""
    parsed = urlparse(url)
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=10)
    sent = 0
    try:
        sock.sendall(head)
        sock.settimeout(0.05)
        response = b""
        for chunk in chunks:
            with contextlib.suppress(TimeoutError, BlockingIOError):
                response += sock.recv(65536)
            if response:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
            time.sleep(pause)
        sock.settimeout(10)
        while b"\r\n\r\n" not in response:
            more = sock.recv(65536)
            if not more:
                break
            response += more
        return int(response.split(b" ", 2)[1]), response, sent
    finally:
        sock.close()


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(settings: Settings, auth: dict) -> None:
    settings = settings.model_copy(update={"max_upload_mb": 0.05, "max_import_mb": 0.05, "max_body_kb": 8})
    server = LiveServer(settings).start()
    key = auth["X-Api-Key"].encode()
    try:
        host = urlparse(server.url).netloc.encode()
        multipart = b"multipart/form-data; boundary=XYZ"
        preamble = b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\n'
        for path, ctype, first in ((b"/documents", multipart, preamble), (b"/catalog/import", b"text/csv", b"")):
            # Declared too big: 413 at once, without a byte of the body sent.
            head = (
                b"POST " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nX-Api-Key: " + key + b"\r\n"
                b"Content-Type: " + ctype + b"\r\nContent-Length: 50000000\r\n\r\n"
            )
            status, response, sent = _raw(server.url, head, [b"x" * 4096] * 5)
            assert status == 413 and b"limit" in response and sent == 0, (path, status, sent)
            # Chunked, no length: cut off once past the limit, long before the 4 MB the client meant to send.
            head = (
                b"POST " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\nX-Api-Key: " + key + b"\r\n"
                b"Content-Type: " + ctype + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"8000\r\n" + b"a,1\n" * 0x2000 + b"\r\n"
            start = f"{len(first):x}\r\n".encode() + first + b"\r\n" if first else b""
            status, response, sent = _raw(server.url, head, [start, *[chunk] * 128] if start else [chunk] * 128, 0.02)
            assert status == 413, (path, response[:200])
            assert sent < 1024 * 1024, f"{sent} bytes went in before the 413: the body was not read whole"
        with server.client() as client:
            big = {"input": {"messages": [{"role": "user", "content": "x" * 20_000}]}}
            r = client.post("/threads", json={"metadata": {"note": "x" * 20_000}})
            assert r.status_code == 413 and "8 KB" in r.json()["detail"]
            thread = client.post("/threads", json={}).json()["thread_id"]
            assert client.post(f"/threads/{thread}/runs/wait", json=big).status_code == 413
            ok = client.post("/documents", files={"file": ("small.md", b"# Small\n\nFits easily.\n")})
            assert ok.status_code == 202, "a body under the limit is accepted as before"
            assert client.get("/ok").status_code == 200
    finally:
        server.stop()


async def test_memory_windows_move_and_forget_idle_keys() -> None:
    """In memory: a moving window (no burst of twice the limit across an edge), and keys whose window emptied go."""
    from limits import parse

    from concierge.tools.auth.ratelimit import MemoryWindows

    windows = MemoryWindows()
    item = parse("2/second")
    assert windows.hit(item, ["a"]) is None
    await asyncio.sleep(0.4)
    assert windows.hit(item, ["a"]) is None
    wait = windows.hit(item, ["a"])
    assert wait is not None and 0 < wait <= 0.6, "the third hit in a second waits for the first to leave the window"
    assert windows.hit(item, ["b"]) is None, "another key counts on its own"
    await asyncio.sleep(wait + 0.01)
    assert windows.hit(item, ["a"]) is None, "the first hit left the window: room for one"
    assert windows.hit(item, ["a"]) is not None, "the second is still inside it"
    await asyncio.sleep(1.01)
    windows._sweep(time.monotonic())
    assert windows._hits == {}, "idle keys are forgotten"
