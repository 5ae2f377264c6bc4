"""The OpenAPI schema of /api/v1/ is a valid OpenAPI 3.1 document that passes Redocly's
"recommended" rules.

Two layers in the suite, and Redocly's own linter in a script:

1. ``openapi-spec-validator`` (a test dependency): the document against the OpenAPI 3.1
   specification and its JSON Schema dialect.
2. Our own checks of the recommended rules that matter to the people who read the schema
   (and that the validator does not see): a non-empty ``servers``, a licence, no unknown
   keyword anywhere in the schemas (a pydantic ``le`` that leaked instead of ``maximum``),
   every operation with a unique operationId, a summary, a 4xx response and declared tags
   with a description.
3. Redocly's own ``redocly lint --extends=recommended``: ``scripts/lint_openapi.py`` (needs
   the npm CLI, ``npm install -g @redocly/cli``), run before closing an issue that touches
   the API; not in the suite, so a machine without Node runs no test that checks nothing.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from openapi_spec_validator import validate

from hoptac.offtake.services import MAX_PRICE_VND

SCHEMA_URL = "/api/v1/openapi.json"

# The keywords a Schema Object of OpenAPI 3.1 may hold: JSON Schema 2020-12 (core,
# applicator, validation, meta-data, format, content, unevaluated) and OpenAPI's own.
SCHEMA_KEYWORDS = {
    "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$defs", "$comment", "$vocabulary",
    "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "prefixItems", "items",
    "contains", "properties", "patternProperties", "additionalProperties", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties",
    "type", "const", "enum", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
    "maxProperties", "minProperties", "required", "dependentRequired",
    "title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples", "format",
    "contentEncoding", "contentMediaType", "contentSchema",
    "discriminator", "xml", "externalDocs", "example",
}  # fmt: skip
# Keywords whose value is a map of names to schemas, or a list of schemas.
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "dependentSchemas"}
SCHEMA_LISTS = {"allOf", "anyOf", "oneOf", "prefixItems"}
SCHEMA_SINGLE = {
    "not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties", "contentSchema",
}  # fmt: skip


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = Client().get(SCHEMA_URL)
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "delete", "options", "head", "patch", "trace"}:
                yield f"{method.upper()} {path}", operation


def schema_objects(schema: dict):
    """(where, schema object) for every Schema Object of the document: components and the
    parameters, request bodies and responses of the operations, and everything inside."""

    def walk(node, where):
        if isinstance(node, bool) or not isinstance(node, dict):
            return
        yield where, node
        for key, value in node.items():
            if key in SCHEMA_MAPS and isinstance(value, dict):
                for name, sub in value.items():
                    yield from walk(sub, f"{where}/{key}/{name}")
            elif key in SCHEMA_LISTS and isinstance(value, list):
                for i, sub in enumerate(value):
                    yield from walk(sub, f"{where}/{key}/{i}")
            elif key in SCHEMA_SINGLE:
                yield from walk(value, f"{where}/{key}")

    for name, node in schema.get("components", {}).get("schemas", {}).items():
        yield from walk(node, f"#/components/schemas/{name}")
    for where, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            yield from walk(parameter.get("schema"), f"{where} parameter {parameter['name']}")
        bodies = [("requestBody", operation.get("requestBody", {}))]
        bodies += [(f"response {code}", r) for code, r in operation.get("responses", {}).items()]
        for label, body in bodies:
            for media, content in body.get("content", {}).items():
                yield from walk(content.get("schema"), f"{where} {label} {media}")


def test_schema_is_valid_openapi_31(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises OpenAPIValidationError with the path of the first problem


def test_servers_licence_and_contact(schema):
    servers = schema.get("servers")
    assert servers, "servers must not be empty (Redocly: no-empty-servers)"
    for server in servers:
        assert server["url"] == "/" or not server["url"].endswith("/")
        assert server.get("description")
    licence = schema["info"].get("license")
    assert licence, "info.license is missing (Redocly: info-license)"
    assert licence["identifier"] == "AGPL-3.0-or-later"  # the licence of the project (pyproject.toml)
    assert "url" not in licence  # OpenAPI 3.1: identifier and url exclude each other
    assert schema["info"].get("contact", {}).get("name")
    assert schema["info"].get("description")


def test_no_unknown_keyword_in_any_schema(schema):
    """A pydantic constraint the generator did not translate (``le``, ``ge``, ``max_length``…)
    ends up as an unknown keyword: clients ignore it and the bound is lost."""
    unknown = [
        f"{where}: {key}"
        for where, node in schema_objects(schema)
        for key in node
        if key not in SCHEMA_KEYWORDS and not key.startswith("x-")
    ]
    assert unknown == []


def test_price_bound_is_a_maximum(schema):
    """The price's upper bound is in the schema as ``maximum`` (it leaked as ``le``)."""
    found = dict(schema_objects(schema))
    prices = [
        found["#/components/schemas/PriceIn/properties/price_vnd"],
        found["#/components/schemas/LineIn/properties/unit_price_vnd/anyOf/0"],
    ]
    for node in prices:
        assert node["maximum"] == MAX_PRICE_VND
        assert "le" not in node


def test_every_operation_is_documented(schema):
    declared = {tag["name"]: tag.get("description") for tag in schema.get("tags", [])}
    assert declared and all(declared.values()), "every tag is declared with a description"
    ids = []
    for where, operation in operations(schema):
        assert operation.get("operationId"), where
        ids.append(operation["operationId"])
        assert operation.get("summary"), where
        assert any(code.startswith("4") for code in operation["responses"]), f"{where}: no 4xx response"
        assert operation.get("tags"), where
        for tag in operation["tags"]:
            assert tag in declared, f"{where}: tag {tag!r} is not declared in the top-level tags"
    assert len(ids) == len(set(ids)), "operationIds are unique"
