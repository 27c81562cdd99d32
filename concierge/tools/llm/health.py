"""Health of each provider/model over a sliding window, with a circuit breaker. Callers count under
`ProviderRegistry.health_key`: the model and the credential reaching it, so one tenant's bad key opens the
breaker for that key only.

healthy --(failure share over the limit, after enough calls)--> unhealthy --(cooldown over)--> probing
probing --(the single probe call succeeds)--> healthy (a fresh window)
probing --(the probe fails)--> unhealthy (a new cooldown)

While unhealthy, `admit` says no and the chain skips the model: a call that would most likely fail is saved.
While probing, exactly one call goes through. Kept in process; several replicas each keep their own view.
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

HealthState = Literal["healthy", "unhealthy", "probing"]


@dataclass(frozen=True)
class HealthPolicy:
    window_s: float = 3600.0
    failure_rate: float = 0.5
    """Unhealthy when failures / calls in the window exceed this."""
    min_calls: int = 4
    """Calls in the window before the share counts: one early failure is not an outage."""
    cooldown_s: float = 60.0


@dataclass
class Transition:
    state: HealthState
    at: float
    """Wall-clock time (epoch seconds)."""
    reason: str


@dataclass
class ModelHealth:
    state: HealthState = "healthy"
    calls: deque[tuple[float, bool]] = field(default_factory=deque)
    opened_at: float = 0.0
    probe_started: float | None = None
    skipped: int = 0
    """Calls the breaker saved: turns that skipped this model while it was unhealthy."""
    transitions: deque[Transition] = field(default_factory=lambda: deque(maxlen=50))


class HealthTracker:
    """Per `provider/model` health; `clock` is monotonic seconds (tests and benchmarks may pass their own)."""

    def __init__(self, policy: HealthPolicy | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy or HealthPolicy()
        self.clock = clock
        self._models: dict[str, ModelHealth] = {}
        self._lock = threading.Lock()  # cheap, never held across an await

    def _get(self, name: str) -> ModelHealth:
        return self._models.setdefault(name, ModelHealth())

    def _move(self, h: ModelHealth, state: HealthState, reason: str) -> None:
        h.state = state
        h.transitions.append(Transition(state=state, at=time.time(), reason=reason))

    def _prune(self, h: ModelHealth, now: float) -> None:
        while h.calls and now - h.calls[0][0] > self.policy.window_s:
            h.calls.popleft()

    def state(self, name: str) -> HealthState:
        with self._lock:
            return self._get(name).state

    def admit(self, name: str) -> bool:
        """May a call go to `name` now? Moves an unhealthy model whose cooldown is over to probing."""
        now = self.clock()
        with self._lock:
            h = self._get(name)
            if h.state == "healthy":
                return True
            if h.state == "unhealthy":
                if now - h.opened_at < self.policy.cooldown_s:
                    h.skipped += 1
                    return False
                self._move(h, "probing", "cooldown over: one probe call")
                h.probe_started = now
                return True
            # probing: one call at a time; a probe abandoned for a whole cooldown frees the slot
            if h.probe_started is not None and now - h.probe_started < self.policy.cooldown_s:
                h.skipped += 1
                return False
            h.probe_started = now
            return True

    def record(self, name: str, ok: bool) -> HealthState:
        """Count one finished call; returns the model's state afterwards."""
        now = self.clock()
        with self._lock:
            h = self._get(name)
            if h.state == "probing":
                h.probe_started = None
                if ok:
                    h.calls.clear()
                    h.calls.append((now, True))
                    self._move(h, "healthy", "probe succeeded")
                else:
                    h.calls.append((now, False))
                    h.opened_at = now
                    self._move(h, "unhealthy", "probe failed")
                return h.state
            h.calls.append((now, ok))
            self._prune(h, now)
            failures = sum(1 for _, good in h.calls if not good)
            if (
                h.state == "healthy"
                and len(h.calls) >= self.policy.min_calls
                and failures / len(h.calls) > self.policy.failure_rate
            ):
                h.opened_at = now
                self._move(h, "unhealthy", f"{failures} of {len(h.calls)} calls failed")
            return h.state

    def release(self, name: str) -> None:
        """A call that says nothing about health (a prompt too long for the model) ended: free the probe slot."""
        with self._lock:
            h = self._get(name)
            if h.state == "probing":
                h.probe_started = None

    def snapshot(self) -> dict[str, dict]:
        """Per model: state, calls and failures in the window, calls saved, cooldown left, recent transitions."""
        now = self.clock()
        out: dict[str, dict] = {}
        with self._lock:
            for name, h in sorted(self._models.items()):
                self._prune(h, now)
                failures = sum(1 for _, good in h.calls if not good)
                left = max(self.policy.cooldown_s - (now - h.opened_at), 0.0) if h.state == "unhealthy" else 0.0
                out[name] = {
                    "state": h.state,
                    "calls": len(h.calls),
                    "failures": failures,
                    "failure_rate": round(failures / len(h.calls), 3) if h.calls else 0.0,
                    "calls_saved": h.skipped,
                    "cooldown_left_s": round(left, 3),
                    "transitions": [{"state": t.state, "at": t.at, "reason": t.reason} for t in h.transitions],
                }
        return out

    def calls_saved(self) -> int:
        with self._lock:
            return sum(h.skipped for h in self._models.values())
