"""Processes the suite starts, and proof at its end that none outlived it.

A wrapper such as noida-db's launcher (a Python script that runs the real server as its child) leaves that child
running when only the wrapper is stopped: the orphan is re-parented to init and nothing notices. So tests start
servers in a session of their own and stop the whole process group, and the suite makes itself a child subreaper
(Linux) so that such orphans stay its descendants and the check at the end sees them.
"""

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
PROC = Path("/proc")


def stop_process_group(proc: subprocess.Popen, timeout_s: float = 20) -> None:
    """SIGTERM the group `proc` leads (started with `start_new_session=True`), wait for all of it, then SIGKILL
    whatever is left: stopping only the leader would leave its children running."""
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout_s)
    while _group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _group_alive(proc.pid):
        _signal_group(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    """Any process of the group other than zombies (which only wait to be reaped)."""
    if PROC.is_dir():
        return any(p.pgid == pgid and p.state != "Z" for p in process_table())
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def become_subreaper() -> bool:
    """Orphaned descendants are re-parented to this process instead of init (Linux 3.4+); False elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    ppid: int
    pgid: int
    state: str
    command: str


def process_table() -> list[ProcessInfo]:
    """Every process on the machine, read from /proc (empty where there is no /proc)."""
    table = []
    for entry in PROC.glob("[0-9]*") if PROC.is_dir() else ():
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # it ended while we read
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        table.append(ProcessInfo(int(entry.name), int(fields[1]), int(fields[2]), fields[0], command or stat))
    return table


def descendants(pid: int | None = None) -> list[ProcessInfo]:
    """Live (non-zombie) descendants of `pid` (this process by default)."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[ProcessInfo]] = {}
    for p in process_table():
        children.setdefault(p.ppid, []).append(p)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return [p for p in found if p.state != "Z"]


def reap_zombies() -> None:
    """Collect exited orphans handed to us as subreaper (their Popen, if any, is gone)."""
    for p in process_table():
        if p.ppid == os.getpid() and p.state == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(p.pid, os.WNOHANG)


def leftovers(grace_s: float = 5.0) -> list[ProcessInfo]:
    """Descendants still alive after `grace_s` (servers may be finishing their shutdown)."""
    deadline = time.monotonic() + grace_s
    while True:
        reap_zombies()
        alive = descendants()
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


def kill(processes: list[ProcessInfo]) -> None:
    for p in processes:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGKILL)
    time.sleep(0.1)
    reap_zombies()
