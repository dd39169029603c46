"""Where the CPU of a timed stretch went, from /proc (Linux): the server's processes (gunicorn's
process group: master and workers), this process (the bench's client threads) and the rest of
the machine (PostgreSQL, and whatever else shares it). Used by scale.py to say what bounds the
completions' scaling from 1 to 4 server workers on a machine with few cores."""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field

TICK = os.sysconf("SC_CLK_TCK")


def _group_seconds(pgid: int) -> float:
    """User and system CPU seconds of the living processes of process group `pgid`."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[2]) == pgid:  # state ppid pgrp ... utime (11) stime (12) after the name
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICK


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (user, nice, system, irq, softirq; not idle,
    iowait or time stolen by the hypervisor), summed over its cores."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return sum(values[i] for i in (0, 1, 2, 5, 6)) / TICK


def _own_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


@dataclass
class CpuSplit:
    """`with CpuSplit(server_pgid) as cpu: ...`; then `cpu.per(n)`: milliseconds of CPU per unit
    of work (n units done) for the server, the clients and the rest, and the server's share of a
    core over the stretch."""

    pgid: int
    server: float = 0.0
    clients: float = 0.0
    rest: float = 0.0
    wall: float = 0.0
    _start: tuple = field(default=(), repr=False)

    def __enter__(self) -> CpuSplit:
        self._start = (_group_seconds(self.pgid), _own_seconds(), _machine_busy_seconds(), time.perf_counter())
        return self

    def __exit__(self, *exc) -> None:
        server, own, busy, t0 = self._start
        self.server = _group_seconds(self.pgid) - server
        self.clients = _own_seconds() - own
        self.rest = max(0.0, _machine_busy_seconds() - busy - self.server - self.clients)
        self.wall = time.perf_counter() - t0

    def per(self, n: int) -> dict[str, float]:
        n = max(n, 1)
        return {"server_ms": round(1000 * self.server / n, 1), "clients_ms": round(1000 * self.clients / n, 1),
                "rest_ms": round(1000 * self.rest / n, 1),
                "server_cores": round(self.server / self.wall, 2) if self.wall else 0.0}
