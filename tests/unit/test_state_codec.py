"""The stored form of a route's engine state (service/db/state_codec.py): zlib of the JSON text,
read back exactly; uncompressed JSON written before migration 0013 still reads."""

from __future__ import annotations

import json

import pytest

from service.db import state_codec

STATE = json.dumps({"tasks": {f"t{i}": {"state": 16, "data": {"ФИО": "Иванова", "n": i}} for i in range(200)},
                    "typename": "BpmnWorkflow"}, ensure_ascii=False)


def test_a_state_round_trips_exactly_and_is_stored_much_smaller():
    packed = state_codec.encode(STATE)
    assert isinstance(packed, bytes) and state_codec.decode(packed) == STATE
    assert len(packed) * 5 < len(STATE.encode())


@pytest.mark.parametrize("old", [STATE, STATE.encode(), memoryview(STATE.encode())])
def test_uncompressed_json_from_before_the_migration_reads_as_it_was(old):
    assert state_codec.decode(old) == STATE


def test_the_column_type_packs_on_the_way_in_and_unpacks_on_the_way_out():
    column = state_codec.StateBlob()
    stored = column.process_bind_param(STATE, None)
    assert stored[:1] == b"x" and column.process_result_value(stored, None) == STATE
    assert column.process_bind_param(None, None) is None and column.process_result_value(None, None) is None
