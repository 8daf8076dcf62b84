"""OpenAPI 3.1 document assembled from the path items each API module declares."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}


def operation(
    summary: str,
    *,
    body: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    status: int = 200,
    params: list[dict[str, Any]] | None = None,
    tag: str = "",
) -> dict[str, Any]:
    """One operation object with the standard error responses."""
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            str(status): {
                "description": "OK",
                "content": {"application/json": {"schema": response or {"type": "object"}}},
            },
            **{
                str(code): {
                    "description": text,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
                for code, text in (
                    (400, "bad input"),
                    (401, "missing or unknown API key"),
                    (404, "not found in your organisation"),
                    (409, "conflicts with the current state"),
                )
            },
        },
    }
    if tag:
        op["tags"] = [tag]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def path_param(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


def query_param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def document(paths: dict[str, dict[str, Any]], version: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "peerlearn API",
            "version": version,
            "description": "Automation and integration API. Every request is scoped to the "
            "organisation of its API key (`peerlearn apikey create --org …`).",
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
    }
