"""`copy_json`: a deep copy of JSON values, and a true deep copy of anything else."""

from __future__ import annotations

from datetime import date

from service.domain.json_copy import copy_json


def test_a_copied_card_can_be_changed_without_touching_the_original():
    card = {"activities": [{"no": 1, "title": "«Курсы» & <стажировка>", "hours": 36.5, "done": False,
                            "result": None}], "corrections": []}
    copied = copy_json(card)
    assert copied == card
    copied["activities"][0]["title"] = "другое"
    copied["corrections"].append({"no": 1})
    assert card["activities"][0]["title"] == "«Курсы» & <стажировка>" and card["corrections"] == []


def test_values_that_are_not_json_are_still_copied_deeply():
    nested = {"on": date(2025, 1, 16), "pair": ([1, 2], "x"), "set": {1, 2}}
    copied = copy_json(nested)
    assert copied == nested
    copied["pair"][0].append(3)
    copied["set"].add(3)
    assert nested["pair"][0] == [1, 2] and nested["set"] == {1, 2}
