"""The "$ref"s of a form schema, resolved in one place for validation and for the HTML form.

A form is one self-contained file: only references inside it ("#/$defs/level", "#") resolve,
never another file or the network. They are resolved by `referencing`, the library jsonschema
itself resolves them with, so the form builder sees exactly the subschema the validator uses.
"""

from __future__ import annotations

from typing import Any

from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

_BASE_URI = "urn:iom:form"  # the form's own address; "#…" references are relative to it
MAX_DEPTH = 20  # references followed in a row (a cycle of references ends here)


class SchemaRefs:
    """The local references of one schema document (``root``)."""

    def __init__(self, root: Any) -> None:
        self.root = root
        registry = Registry().with_resource(_BASE_URI, DRAFT202012.create_resource(root))
        self._resolver = registry.resolver(base_uri=_BASE_URI)

    def resolve(self, ref: str) -> Any:
        """What the local reference ``ref`` points at; None when it is not local or points nowhere."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        try:
            return self._resolver.lookup(ref).contents
        except Unresolvable:
            return None

    def target(self, schema: Any) -> Any:
        """The schema a "$ref" chain ends at (keywords next to a "$ref" are not kept)."""
        for _ in range(MAX_DEPTH + 1):
            if not isinstance(schema, dict) or "$ref" not in schema:
                return schema
            schema = self._follow(schema["$ref"])
        raise ValueError(f"$ref chain longer than {MAX_DEPTH}: {schema.get('$ref')!r}")

    def merged(self, schema: Any, depth: int = 0) -> dict:
        """The schema with its "$ref" resolved; keywords next to the "$ref" (e.g. a "title") win.
        Anything but an object is {}."""
        if not isinstance(schema, dict):
            return {}
        ref = schema.get("$ref")
        if not isinstance(ref, str) or depth > MAX_DEPTH:
            return schema
        merged = dict(self.merged(self._follow(ref), depth + 1))
        merged.update((k, v) for k, v in schema.items() if k != "$ref")
        return merged

    def _follow(self, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise ValueError(f"only local $ref are supported: {ref!r}")
        try:
            return self._resolver.lookup(ref).contents
        except Unresolvable as exc:
            raise ValueError(f"unresolvable $ref {ref!r}") from exc
