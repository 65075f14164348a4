"""openapi.yaml as a validator: find the operation of a request, check bodies against it."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


def _inline(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = root
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _inline(target, root)
        out = {key: _inline(value, root) for key, value in node.items()}
        if out.get("nullable") is True and len(out.get("allOf", [])) == 1:
            # OpenAPI 3.0 writes "X or null" as nullable beside allOf (the generator reads it so);
            # a JSON Schema validator would apply allOf to null too, so spell it out.
            inner = out.pop("allOf")[0]
            out.pop("nullable")
            out["anyOf"] = [inner, {"enum": [None]}]
        return out
    if isinstance(node, list):
        return [_inline(item, root) for item in node]
    return node


@cache
def spec() -> dict[str, Any]:
    """openapi.yaml with every $ref inlined (the spec has no recursive schemas)."""
    root = yaml.safe_load(SPEC_PATH.read_text())
    inlined: dict[str, Any] = _inline(root, root)
    return inlined


def operation(method: str, path: str) -> dict[str, Any] | None:
    """The spec's operation for a request, or None (e.g. the emulator's admin routes)."""
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            found: dict[str, Any] = item[method.lower()]
            return found
    return None


def problems(schema: dict[str, Any], instance: Any) -> list[str]:
    """Why ``instance`` breaks ``schema`` (empty when it conforms)."""
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def response_schema(op: dict[str, Any], status: int) -> dict[str, Any] | None:
    """The JSON schema of an answer, or None when the spec gives it no JSON body."""
    answer = op["responses"].get(str(status)) or op["responses"].get("default")
    if answer is None:
        raise KeyError(f"status {status} is not documented")
    content = answer.get("content", {}).get("application/json")
    return content["schema"] if content else None


def request_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of a request body, or None."""
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    return content["schema"] if content else None
