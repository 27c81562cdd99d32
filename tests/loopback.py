"""Serving an ASGI app on a free loopback port from a thread: our app, and the stand-ins for remote services."""

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedServer:
    """uvicorn running `app` in a daemon thread; `start()` returns once it answers HTTP."""

    def __init__(self, app: Any, name: str = "server", log_level: str = "warning") -> None:
        self.app, self.name, self.log_level = app, name, log_level
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 20) -> str:
        port = free_port()
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level=self.log_level, timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)  # any answer means it is up
                return self.url
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not start within {timeout_s} s")

    def stop(self, timeout_s: float = 20) -> None:
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=timeout_s)


class LanggraphDev:
    """`langgraph dev` serving the repository's langgraph.json on a free port (never 2024: taken here).

    Its output goes to `log`, which tests read for errors and for blocking calls.
    """

    def __init__(self, langgraph: Path, root: Path, env: dict[str, str], log: Path) -> None:
        self.command = [str(langgraph), "dev", "--port", str(free_port()), "--no-browser", "--no-reload"]
        self.root, self.env, self.log = root, {**env, "LANGSMITH_TRACING": "false"}, log
        self.url = f"http://127.0.0.1:{self.command[3]}"
        self._proc: subprocess.Popen[bytes] | None = None

    def tail(self) -> str:
        return self.log.read_text()[-3000:]

    def __enter__(self) -> "LanggraphDev":
        with self.log.open("w") as out:
            self._proc = subprocess.Popen(
                self.command, cwd=self.root, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 90
        while True:
            assert self._proc.poll() is None, self.tail()
            try:
                if httpx.get(f"{self.url}/ok", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "langgraph dev did not start in 90 s"
            time.sleep(0.5)

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        os.killpg(self._proc.pid, signal.SIGTERM)
        self._proc.wait(timeout=30)
