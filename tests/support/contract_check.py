"""Checking a live API response against /api/openapi.json: its status is documented for the
operation and its JSON body matches that status's schema, with no undocumented fields."""

from __future__ import annotations

import copy

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from service.api.openapi import build_spec
from service.forms import pointers

SPEC_URI = "urn:iom:openapi"


def strict(node):
    """Every object schema that lists its properties admits no others, so an undocumented field
    in a live response fails the check (the published document stays open for evolution)."""
    if isinstance(node, dict):
        out = {k: strict(v) for k, v in node.items()}
        if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node


class Documented:
    """`check(method, template, response, status)` → the JSON body, or AssertionError."""

    def __init__(self):
        self.spec = copy.deepcopy(build_spec())
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(strict(self.spec), DRAFT202012))

    def __call__(self, method: str, template: str, response, status: int):
        assert response.status_code == status, (method, template, response.status_code, response.get_json())
        documented = self.spec["paths"][template][method]["responses"].get(str(status))
        assert documented, f"{method.upper()} {template} does not document {status}"
        parts = ["paths", template, method, "responses", str(status)]
        if "$ref" in documented:
            name = documented["$ref"].rsplit("/", 1)[1]
            documented, parts = self.spec["components"]["responses"][name], ["components", "responses", name]
        if "content" not in documented:
            assert not response.data
            return None
        ref = SPEC_URI + "#" + pointers.join([*parts, "content", "application/json", "schema"])
        validator = Draft202012Validator({"$ref": ref}, registry=self.registry)
        body = response.get_json()
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]
        assert not errors, (method.upper(), template, status, errors)
        return body
