"""The demo's generated secret key: processes that start together all get the same, whole key."""

from __future__ import annotations

import multiprocessing
import re
import secrets
import stat
import time

import pytest

import service.app
from service.app import load_or_create_secret_key
from service.production import ConfigurationError

STARTERS = 8


def _start(barrier, instance: str, results) -> None:
    from pathlib import Path

    barrier.wait()  # all at once, like gunicorn workers booting
    try:
        results.put(load_or_create_secret_key(Path(instance)))
    except Exception as exc:  # noqa: BLE001 (reported to the parent, which fails the test)
        results.put(f"error: {exc!r}")


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_starters_all_read_the_same_complete_key(tmp_path, monkeypatch, round_):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    # Slow key generation widens the window between "no file yet" and "file written" (the old
    # check-then-write code gave different keys in every round with it; the forked children inherit it).
    token_hex = secrets.token_hex
    monkeypatch.setattr(service.app.secrets, "token_hex", lambda n: (time.sleep(0.05), token_hex(n))[1])
    instance = tmp_path / "instance"  # not there yet: every starter races to create it too
    mp = multiprocessing.get_context("fork")
    barrier, results = mp.Barrier(STARTERS), mp.Queue()
    procs = [mp.Process(target=_start, args=(barrier, str(instance), results)) for _ in range(STARTERS)]
    for p in procs:
        p.start()
    keys = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(p.exitcode == 0 for p in procs)
    assert len(set(keys)) == 1, keys
    assert re.fullmatch(r"[0-9a-f]{64}", keys[0]), keys[0]
    path = instance / "secret_key"
    assert path.read_text() == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no candidate files left behind


def test_the_key_survives_a_restart_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_or_create_secret_key(tmp_path)
    assert load_or_create_secret_key(tmp_path) == first
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_or_create_secret_key(tmp_path) == "from-the-environment"


def test_an_empty_key_file_left_by_an_old_version_is_refused_with_the_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ConfigurationError, match="secret_key.*(удалите|delete)"):
        load_or_create_secret_key(tmp_path)
