"""Grouping the in-memory statistics columns (service/services/stats_columns.py) gives what counting
the rows one by one gives, whether it counts into a dense array or sorts (many possible groups)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from service.services import stats_columns
from service.services.stats_columns import Vocab, groups


def by_hand(rows, weights=None):
    found = Counter()
    for i, row in enumerate(rows):
        found[row] += 1 if weights is None else weights[i]
    return sorted((k, int(v)) for k, v in found.items())


@pytest.mark.parametrize("dense", [True, False])
def test_groups_count_and_sum_like_counting_by_hand(dense, monkeypatch):
    if not dense:
        monkeypatch.setattr(stats_columns, "MAX_DENSE_GROUPS", 1)
    rng = random.Random(7)
    rows = [(rng.randrange(5), rng.randrange(3), rng.randrange(400)) for _ in range(5000)]
    weights = [rng.randrange(4) for _ in rows]
    cols = [np.array(c, dtype=np.int64) for c in zip(*rows, strict=True)]
    keys = [(cols[0], 5), (cols[1], 3), (cols[2], 400)]
    assert sorted(groups(keys)) == by_hand(rows)
    assert sorted(groups(keys, np.array(weights, dtype=np.float64))) == by_hand(rows, weights)


def test_groups_of_no_rows_are_none():
    assert groups([(np.array([], dtype=np.int64), 3)]) == []


def test_a_vocabulary_codes_texts_in_the_order_met_and_misses_unknown_ones():
    v = Vocab()
    assert v.encode(["б", "а", "б", ""]).tolist() == [0, 1, 0, 2]
    assert v.code("а") == 1 and v.code("в") == -1 and len(v) == 3
