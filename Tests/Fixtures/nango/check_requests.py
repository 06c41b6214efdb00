"""Holds HTTP requests against an OpenAPI 3.1 document (Nango's, or the small one of the
operations keyway calls): the operation exists and is not deprecated, its path, query and
header parameters are declared (required ones present), and a JSON body validates against
the operation's request body schema (JSON Schema 2020-12, with the reference validator).

usage: check_requests.py DOCUMENT.json REQUESTS.json
REQUESTS.json: [{"method", "target" (path?query, percent-encoded), "headers": [[name, value]], "body": text or null}]
Prints one line per problem ("METHOD target: problem"); exit status 1 when there is any.
"""
import json
import re
import sys
from urllib.parse import parse_qsl, unquote, urlsplit

import jsonschema

# Headers every HTTP client sends, which no API document declares.
TRANSPORT_HEADERS = {"authorization", "content-type", "content-length", "accept", "user-agent", "host", "connection",
                     "accept-encoding", "accept-language", "expect"}


def pointer(document, ref):
    node = document
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(document, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        node = pointer(document, node["$ref"])
        seen += 1
    return node


def match(template, path):
    """The path parameters when `path` matches `template`, else None; {anyPath} takes the rest."""
    t_parts = template.strip("/").split("/")
    p_parts = path.strip("/").split("/")
    values = {}
    for i, t in enumerate(t_parts):
        if t == "{anyPath}":
            if i >= len(p_parts):
                return None
            values["anyPath"] = "/".join(p_parts[i:])
            return values
        if i >= len(p_parts):
            return None
        if t.startswith("{") and t.endswith("}"):
            if p_parts[i] == "":
                return None
            values[t[1:-1]] = unquote(p_parts[i])
        elif t != p_parts[i]:
            return None
    return values if len(t_parts) == len(p_parts) else None


def check(document, request):
    method = request["method"].lower()
    split = urlsplit(request["target"])
    problems = []
    candidates = [(t, v) for t in document["paths"] if (v := match(t, split.path)) is not None]
    # A literal segment wins over a parameter (as in /connect/sessions/reconnect).
    candidates.sort(key=lambda c: c[0].count("{"))
    if not candidates:
        return ["no operation of the document has this path"]
    template, _ = candidates[0]
    item = document["paths"][template]
    operation = item.get(method)
    if operation is None:
        return [f"{template} has no {method.upper()} operation"]
    if operation.get("deprecated"):
        problems.append(f"{method.upper()} {template} is deprecated")
    parameters = [deref(document, p) for p in item.get("parameters", []) + operation.get("parameters", [])]
    query_params = {p["name"]: p for p in parameters if p.get("in") == "query"}
    any_query = "$ANY_QUERY_PARAMS" in query_params
    query = parse_qsl(split.query, keep_blank_values=True)
    for name, value in query:
        base = name.split("[", 1)[0]
        declared = query_params.get(name) or (query_params.get(base) if "[" in name and query_params.get(base, {}).get("style") == "deepObject" else None)
        if declared is None:
            if not any_query:
                problems.append(f"query parameter '{name}' is not declared")
            continue
        if declared.get("deprecated"):
            problems.append(f"query parameter '{name}' is deprecated")
        schema = deref(document, declared.get("schema", {}))
        if declared.get("style") == "deepObject":
            continue
        item_schema = deref(document, schema.get("items", {})) if schema.get("type") == "array" else schema
        if "enum" in item_schema and value not in item_schema["enum"]:
            problems.append(f"query parameter '{name}' is '{value}', not one of {item_schema['enum']}")
        if item_schema.get("type") == "integer" and not re.fullmatch(r"-?[0-9]+", value):
            problems.append(f"query parameter '{name}' is '{value}', not an integer")
        if schema.get("type") != "array" and sum(1 for n, _ in query if n == name) > 1:
            problems.append(f"query parameter '{name}' is repeated but is not an array")
    sent = {n for n, _ in query} | {n.split("[", 1)[0] for n, _ in query}
    for p in parameters:
        if p.get("in") == "query" and p.get("required") and p["name"] != "$ANY_QUERY_PARAMS" and p["name"] not in sent:
            problems.append(f"required query parameter '{p['name']}' is missing")
    header_params = {p["name"].lower(): p for p in parameters if p.get("in") == "header"}
    headers = [(n.lower(), v) for n, v in request.get("headers", [])]
    for name, _ in headers:
        if name in TRANSPORT_HEADERS or name in header_params:
            continue
        if any(k.endswith("$any_header") and name.startswith(k[: -len("$any_header")]) for k in header_params):
            continue
        problems.append(f"header '{name}' is not declared")
    for name, p in header_params.items():
        if p.get("required") and name not in {n for n, _ in headers}:
            problems.append(f"required header '{p['name']}' is missing")
    body = request.get("body")
    request_body = deref(document, operation.get("requestBody"))
    if request_body is None:
        if body:
            problems.append("the operation takes no body")
    else:
        content = request_body.get("content", {})
        if "application/json" in content:
            if not body:
                if request_body.get("required"):
                    problems.append("the required JSON body is missing")
            else:
                try:
                    instance = json.loads(body)
                except ValueError:
                    return problems + ["the body is not JSON"]
                root = dict(document)
                root["$id"] = "urn:nango-api"
                root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
                schema = content["application/json"].get("schema", {})
                root.update({k: v for k, v in schema.items()} if "$ref" not in schema else {"$ref": schema["$ref"]})
                validator = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
                for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
                    where = "/".join(str(p) for p in error.absolute_path) or "the body"
                    problems.append(f"{where}: {error.message}")
                resolved = deref(document, schema)
                for key in instance if isinstance(instance, dict) else []:
                    if "properties" in resolved and key not in resolved["properties"]:
                        # Nango's server reads bodies strictly: an undeclared key is refused.
                        problems.append(f"body property '{key}' is not declared")
                        continue
                    prop = deref(document, resolved.get("properties", {}).get(key, {}))
                    if prop.get("deprecated"):
                        problems.append(f"body property '{key}' is deprecated")
    return problems


def main():
    document = json.load(open(sys.argv[1]))
    requests = json.load(open(sys.argv[2]))
    failed = False
    for request in requests:
        for problem in check(document, request):
            failed = True
            print(f"{request['method']} {request['target']}: {problem}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
