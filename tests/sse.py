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
