"""The JSON API's contract: every request and response shape, declared once as a pydantic v2 model.

From these models come the validation of request bodies (:func:`parse`, a pydantic
``ValidationError`` becoming the API's 422 with a Russian message per field), the serialization of
responses (service/api/util.py ``reply``: an undocumented field fails, ``extra="forbid"``) and the
schemas of ``/api/openapi.json`` (service/api/openapi.py, pydantic's own JSON Schema output).

- :mod:`.base`: the shared field types and :class:`Says`, the Russian message of a field;
- :mod:`.requests`: request bodies; the services whose callers are not only the API
  (``accounts.issue_token``, the admin interventions) validate with the same models;
- :mod:`.responses`: response bodies (the API layer; it builds the documents' file links);
- :mod:`.errors`: the error body and :func:`parse`.

This package lives beside ``service.api`` rather than inside it because services import the
request models, and importing ``service.api`` would register its blueprints (and their services).
A model's docstring is its description in the OpenAPI document, so those docstrings are Russian.
"""

from service.contracts.errors import parse

__all__ = ["parse"]
