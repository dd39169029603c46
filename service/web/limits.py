"""A limit on failed login attempts (per login name, in this process)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    """After `attempts` failures within `window` seconds a login is locked until the oldest
    failure leaves the window. Successful logins clear the record."""

    def __init__(self, attempts: int = 5, window: float = 900.0, clock=time.monotonic):
        self.attempts, self.window, self._clock = attempts, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        now, failures = self._clock(), self._failures[key]
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def locked_for(self, login: str) -> int:
        """Seconds until `login` may try again; 0 when it may try now."""
        with self._lock:
            failures = self._recent(login.lower())
            if len(failures) < self.attempts:
                return 0
            return int(self.window - (self._clock() - failures[0])) + 1

    def failed(self, login: str) -> None:
        with self._lock:
            self._recent(login.lower()).append(self._clock())

    def succeeded(self, login: str) -> None:
        with self._lock:
            self._failures.pop(login.lower(), None)
