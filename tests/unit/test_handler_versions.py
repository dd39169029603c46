"""Handler versions: a route's steps (and its replay) call the handler versions it started with,
so a changed handler never makes an old route diverge. No database."""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap

import pytest

import service.tasks
from service.tasks import CURRENT_BEHAVIOUR, HandlerRegistry, default_handlers


def _v1(card, data, ctx):
    return {"v": 1}


def _v2(card, data, ctx):
    return {"v": 2}


def _v4(card, data, ctx):
    return {"v": 4}


@pytest.fixture
def registry() -> HandlerRegistry:
    handlers = HandlerRegistry()
    handlers.register("start_route", _v1)
    handlers.register("start_route", _v2, since=2)
    handlers.register("start_route", _v4, since=4)
    return handlers


@pytest.mark.parametrize("behaviour, expected", [(1, _v1), (2, _v2), (3, _v2), (4, _v4), (9, _v4)])
def test_a_route_gets_the_newest_version_registered_since_its_behaviour(registry, behaviour, expected):
    assert registry.get("start_route", behaviour) is expected


def test_without_a_behaviour_the_current_one_is_used(registry, monkeypatch):
    assert registry.get("start_route") is registry.get("start_route", CURRENT_BEHAVIOUR)
    monkeypatch.setattr(service.tasks, "CURRENT_BEHAVIOUR", 3)
    assert registry.get("start_route") is _v2


def test_a_behaviour_older_than_every_version_and_an_unknown_name_are_not_found(registry):
    registry.register("close_route", _v2, since=2)
    with pytest.raises(KeyError):
        registry.get("close_route", 1)
    with pytest.raises(KeyError):
        registry.get("no_such_handler", 1)


def test_registering_the_same_version_again_replaces_it_and_a_plain_dict_is_version_1(registry):
    registry.register("start_route", _v4, since=1)
    assert registry.get("start_route", 1) is _v4 and registry.get("start_route", 2) is _v2
    assert registry.versions("start_route") == [1, 2, 4]
    plain = HandlerRegistry({"start_route": _v1})
    assert plain.versions("start_route") == [1] and "start_route" in plain and plain.names() == ["start_route"]


def test_new_routes_start_with_a_behaviour_every_registered_version_serves():
    handlers = default_handlers()
    assert isinstance(CURRENT_BEHAVIOUR, int) and CURRENT_BEHAVIOUR >= 1
    for name in handlers.names():
        assert min(handlers.versions(name)) == 1, name  # every route since the start finds its handler
        assert max(handlers.versions(name)) <= CURRENT_BEHAVIOUR, f"{name}: registered later than CURRENT_BEHAVIOUR"


# ---- released versions are never edited in place ----------------------------------------------------
def _shape(node):
    """The syntax tree as plain lists; empty fields left out, so the Python version (whose trees
    gain empty fields, e.g. type_params in 3.12) does not change it."""
    if isinstance(node, ast.AST):
        return [type(node).__name__, *[[name, _shape(value)] for name, value in ast.iter_fields(node)
                                       if value is not None and value != []]]
    if isinstance(node, list):
        return [_shape(item) for item in node]
    return repr(node)


def _code_hash(function) -> str:
    """SHA-256 of the function's syntax tree without its name and docstring: comments,
    docstrings and layout may change, what the code does may not."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    tree.name = "_"
    if ast.get_docstring(tree) is not None:
        tree.body = tree.body[1:]
    return hashlib.sha256(repr(_shape(tree)).encode("utf-8")).hexdigest()


RELEASED = {  # (handler, since) → _code_hash of that version
    ("apply_correction", 1): "0edd818519bf8f30ee6c95c8963e4a03490d6e2c794f9227112fa1b633d4b428",
    ("build_card", 1): "95f247fd51ebde2f08cb2ced131944a8ce22ba5af564e50fb57a83d05855ea3d",
    ("close_route", 1): "f01c631d4263e9ae3cb1fb68c994e34c38033b22b3eef415f1b5eb8bc1c25e51",
    ("issue_document", 1): "83ec1fb6e20b3a7b56281d8a4b63039645d370cadde41b8dfce41c0abd841c9b",
    ("prepare_document", 1): "22ef9a11213ff55de2f7c43591346a5819a4de35c823143a5fd88de932431bc4",
    ("prolong_route", 1): "489f24173c8792986f9994cbc862548864d3412bab02c3baaa3fe277690a62ba",
    ("record_conclusions", 1): "1e0912130266cef97faf5b555cf7092508265ac1f27bbbb77226fa2baa74b8ba",
    ("record_final_results", 1): "1ccb2488352fb49fabec298bd6f65570592e2d38d0d77a94802b57370d7f8c7a",
    ("record_report", 1): "e88d28e956473eb040954ab63d976251fd5cb057faf9408f05a6579e5b9fdcad",
    ("start_route", 1): "2a5458d3fce5479b96f983af4ce0dca3dca546285d1f6935bba890505bb160ad",
}


def test_released_handler_versions_keep_their_code():
    """A failure here means a released handler was edited: routes that ran on it would replay
    with different code. Put the new code in a new function registered with since=N+1 (and bump
    CURRENT_BEHAVIOUR) instead; only a change that keeps the output may update the hash here."""
    handlers = default_handlers()
    current = {(name, since): _code_hash(handlers.get(name, since))
               for name in handlers.names() for since in handlers.versions(name)}
    assert current == RELEASED
