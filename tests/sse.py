"""A small reader of Server-Sent Events for tests: (event, data) pairs in arrival order."""

import json
from typing import Any

import httpx


def stream_events(
    client: httpx.Client, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    with client.stream("POST", url, json=body, timeout=60, headers=headers) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event, data = None, []
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and event:
                events.append((event, json.loads("\n".join(data)) if data else None))
                event, data = None, []
    return events


class Follower:
    """A `GET` event stream read in a thread, for a test that acts meanwhile: the events so far, and a wait for one.

    `start()` returns once the stream is open; `close()` ends it (the server sees the client leave)."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str]) -> None:
        import threading

        self.base_url, self.path, self.headers = base_url, path, headers
        self.events: list[tuple[str, Any]] = []
        self.status: int | None = None
        self._changed = threading.Condition()
        self._client = httpx.Client(base_url=base_url, headers=headers, timeout=httpx.Timeout(10, read=None))
        self._worker = threading.Thread(target=self._read, daemon=True)

    def start(self, first: str = "ready", timeout_s: float = 15) -> "Follower":
        self._worker.start()
        if first:
            self.wait(first, timeout_s=timeout_s)
        return self

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.path) as response:
                with self._changed:
                    self.status = response.status_code
                    self._changed.notify_all()
                if response.status_code != 200:
                    response.read()
                    return
                event, data = None, []
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data.append(line[5:].strip())
                    elif line == "" and event:
                        with self._changed:
                            self.events.append((event, json.loads("\n".join(data)) if data else None))
                            self._changed.notify_all()
                        event, data = None, []
        except (httpx.HTTPError, httpx.StreamError):
            return  # closed by the test

    def wait(self, event: str, timeout_s: float = 15, **fields: Any) -> Any:
        """The first event named `event` whose data has these `fields`; AssertionError after `timeout_s`."""

        def found() -> Any:
            return next(
                (d for e, d in self.events if e == event and all((d or {}).get(k) == v for k, v in fields.items())),
                None,
            )

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None or self.status not in (None, 200), timeout_s):
                raise AssertionError(f"no {event} {fields} within {timeout_s} s; events: {self.events}")
            if self.status != 200:
                raise AssertionError(f"the stream answered {self.status}")
            return found()

    def close(self) -> None:
        self._client.close()
        self._worker.join(10)
