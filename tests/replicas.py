"""Concierge servers as separate processes (`concierge serve`), as replicas run: start, stop, kill."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.loopback import free_port
from tests.processes import stop_process_group

CONCIERGE = Path(sys.executable).parent / "concierge"


class ServerProcess:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LANGSMITH_TRACING": "false", **env}
        self.log = log
        self.key = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def tail(self) -> str:
        return self.log.read_text()[-4000:] if self.log.exists() else ""

    def start(self, timeout_s: float = 120) -> "ServerProcess":
        return self.launch().ready(timeout_s)

    def launch(self) -> "ServerProcess":
        """Start the process without waiting: replicas boot side by side (each start is seconds of imports)."""
        with self.log.open("a") as out:
            self._proc = subprocess.Popen(
                [str(CONCIERGE), "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def ready(self, timeout_s: float = 120) -> "ServerProcess":
        """Wait until the server answers /healthz; one that never does is stopped and fails the test."""
        assert self._proc is not None
        deadline = time.monotonic() + timeout_s
        while self._proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()  # a server that never became healthy is not left running
        raise AssertionError(f"the server did not start in {timeout_s} s\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crashed or evicted replica."""
        assert self._proc is not None
        os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._proc is not None:
            stop_process_group(self._proc)


def demo_key(data_dir: Path) -> str:
    """The demo tenant's secret key (every scope), which seeding wrote into its data directory."""
    from concierge.tools.demo.seed import DEMO_KEYS_FILE

    return json.loads((data_dir / DEMO_KEYS_FILE).read_text())["secret"]
