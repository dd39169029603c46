"""Engine replays kept in memory by the chain head they re-executed.

A replay re-executes a route's events on the engine; its outcome depends on nothing but those
events (the BPMN version and the behaviour version are named in them), so once the chain check
has shown that the events hash to a head, an earlier replay up to the same event of the same head
is the same replay. The auditor's page replays on every view: with this, only the first view of a
head pays. The chain check and the comparison with the stored state still run each time, so a row
changed behind the history's back is found on the next view. Bounded (least recently used goes).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

Key = tuple[int, str, int | None]  # route id, chain head, last event replayed (None: all)


class ReplayCache:
    def __init__(self, size: int = 512):
        self._size = size
        self._items: OrderedDict[Key, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> Any | None:
        """A copy of what was kept (the caller may change it), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            value = self._items[key]
        return copy.deepcopy(value)

    def put(self, key: Key, value: Any) -> None:
        value = copy.deepcopy(value)
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
