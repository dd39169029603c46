"""JSON pointers (RFC 6901): the one place that escapes and splits them.

A pointer names a value inside a JSON document: "" is the whole document, "/info/full_name" a
property, "/activities/0/title" a property of an array item. In a token "~" is written "~0"
and "/" is written "~1" (in that order, so that "~1" typed in a key stays "~01").
"""

from __future__ import annotations

from collections.abc import Iterable


def escape(token: object) -> str:
    """One reference token as written in a pointer (an array index is written as its number)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The key or index a reference token of a pointer stands for."""
    return token.replace("~1", "/").replace("~0", "~")


def join(tokens: Iterable[object], base: str = "") -> str:
    """The pointer of ``tokens`` below ``base``: join(["info", "a/b"]) == "/info/a~1b"."""
    return base + "".join("/" + escape(token) for token in tokens)


def split(pointer: str) -> list[str]:
    """The unescaped tokens of ``pointer``: split("/info/a~1b") == ["info", "a/b"], split("") == []."""
    if not pointer:
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"a JSON pointer starts with '/': {pointer!r}")
    return [unescape(token) for token in pointer[1:].split("/")]
