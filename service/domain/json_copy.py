"""Deep copies of JSON values (the card, submissions, task data).

`copy.deepcopy` keeps a memo and dispatches on every value; for plain dicts, lists and
scalars a direct recursion is about four times faster, and the card is copied at every step
that changes it. Anything that is not a dict, a list or an immutable scalar is handed to
`copy.deepcopy`, so the copy is always a true deep copy.
"""

from __future__ import annotations

import copy
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


def copy_json(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if kind is list:
        return [copy_json(item) for item in value]
    if kind in _SCALARS:
        return value
    return copy.deepcopy(value)
