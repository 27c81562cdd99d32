"""Serving an ASGI app on a free loopback port from a thread: our app, and the stand-ins for remote services."""

import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import httpx
import uvicorn

from tests.processes import stop_process_group


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedServer:
    """uvicorn running `app` in a daemon thread; `start()` returns once it answers HTTP.

    `running` holds every server started and not yet stopped: the suite fails at its end if one is left.
    """

    running: ClassVar[set["ThreadedServer"]] = set()

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
        self._thread = threading.Thread(target=self._server.run, name=f"{self.name} on {port}", daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{port}"
        ThreadedServer.running.add(self)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)  # any answer means it is up
                return self.url
            except httpx.TransportError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout_s} s")

    def stop(self, timeout_s: float = 20) -> None:
        """Ask uvicorn to exit and wait for its thread; a server that will not stop is an error, not a leak."""
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=timeout_s)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
            if self._thread.is_alive():
                raise RuntimeError(f"{self.name} at {self.url} did not stop within {timeout_s} s")
        ThreadedServer.running.discard(self)

    def __repr__(self) -> str:
        return f"<{self.name} at {self.url}>"


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
        try:
            self._wait_ready(90)
        except BaseException:
            stop_process_group(self._proc, timeout_s=30)  # __exit__ never runs when __enter__ raises
            raise
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout_s
        while True:
            assert self._proc.poll() is None, self.tail()
            try:
                if httpx.get(f"{self.url}/ok", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"langgraph dev did not start in {timeout_s} s"
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        stop_process_group(self._proc, timeout_s=30)
