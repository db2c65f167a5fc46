"""Checks an answer of civic-server against docs/openapi.json (stdlib only).

The subset of OpenAPI 3.0.3 schemas the document uses: $ref, type, nullable
(which, in 3.0.3, allows null only beside a `type` in the same schema
object, not through allOf), allOf, anyOf, oneOf, enum, required,
properties, additionalProperties, items, minimum, maximum, minLength,
maxLength.  Each function returns a list of messages, empty when the answer
conforms."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENT = os.path.join(HERE, os.pardir, os.pardir, "docs", "openapi.json")

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


def load(path=DOCUMENT):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def resolve(doc, schema):
    while "$ref" in schema:
        node = doc
        for key in schema["$ref"][2:].split("/"):
            node = node[key]
        schema = node
    return schema


def validate(doc, value, schema, where="$"):
    """The ways `value` breaks `schema` (JSON already decoded)."""
    errs = []
    schema = resolve(doc, schema)
    if value is None and "type" in schema:
        if not schema.get("nullable"):
            errs.append("%s: null, where the document says %s" % (where, schema["type"]))
        return errs
    for sub in schema.get("allOf", []):
        errs += validate(doc, value, sub, where)
    if "anyOf" in schema and not any(not validate(doc, value, s, where) for s in schema["anyOf"]):
        errs.append("%s: matches none of anyOf" % where)
    if "oneOf" in schema:
        n = sum(not validate(doc, value, s, where) for s in schema["oneOf"])
        if n != 1:
            errs.append("%s: matches %d of oneOf, not exactly one" % (where, n))
    if value is None:
        return errs
    t = schema.get("type")
    if t and not TYPES[t](value):
        return errs + ["%s: %r is not of type %s" % (where, value, t)]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r is not one of %s" % (where, value, schema["enum"]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errs.append("%s: %r below the minimum %r" % (where, value, schema["minimum"]))
        if "maximum" in schema and value > schema["maximum"]:
            errs.append("%s: %r above the maximum %r" % (where, value, schema["maximum"]))
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errs.append("%s: %d characters, out of the schema's length" % (where, len(value)))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errs.append("%s: no %r, which the schema requires" % (where, key))
        extra = schema.get("additionalProperties", True)
        for key, v in value.items():
            if key in props:
                errs += validate(doc, v, props[key], "%s.%s" % (where, key))
            elif extra is False:
                errs.append("%s: %r is not in the schema" % (where, key))
            elif isinstance(extra, dict):
                errs += validate(doc, v, extra, "%s.%s" % (where, key))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errs += validate(doc, v, schema["items"], "%s[%d]" % (where, i))
    return errs


def check_response(doc, method, template, status, ctype, body, headers=None):
    """The ways an answer (status, Content-Type, body bytes, and its headers
    with lower-case names when given) of `method template` (a path of the
    document, such as /subjects/{id}; None for a path that is none of its)
    breaks the document.  A path asked with a method it has no operation for
    is answered as components/responses/MethodNotAllowed says, and a path
    that is none of the document's as NotFound.  Where the response declares
    an Allow header, it must name the path's operations, and where it
    declares no content (HEAD, OPTIONS), no body may come."""
    where = "%s %s" % (method, template)
    common = doc["components"]["responses"]
    item = doc["paths"].get(template) if template is not None else {}
    if item is None:
        return ["%s: the path is not in the document" % where]
    op = item.get(method.lower())
    if template is None or op is None:
        want, name = (404, "NotFound") if template is None else (405, "MethodNotAllowed")
        if status != want:
            return ["%s: %s, where the document answers %d (components/responses/%s)"
                    % (where, status, want, name)]
        if name not in common:
            return ["%s: %d, and the document has no components/responses/%s"
                    % (where, status, name)]
        response = common[name]
    else:
        responses = op["responses"]
        if str(status) not in responses:
            return ["%s: status %d is not among the documented %s"
                    % (where, status, sorted(responses))]
        response = resolve(doc, responses[str(status)])
    problems = []
    if headers is not None and "Allow" in response.get("headers", {}):
        want = {m.upper() for m in METHODS if m in item}
        got = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
        if got != want:
            problems.append("%s %d: Allow %r, the document's operations are %s"
                            % (where, status, headers.get("allow"), sorted(want)))
    content = response.get("content", {})
    if not content or method.upper() == "HEAD":
        if body:
            problems.append("%s %d: a body of %d bytes, where the document has none"
                            % (where, status, len(body)))
        return problems
    mime = (ctype or "").split(";")[0].strip()
    if mime not in content:
        return problems + ["%s %d: Content-Type %r, the document says %s"
                           % (where, status, ctype, sorted(content))]
    if mime != "application/json":
        return problems
    try:
        value = json.loads(body)
    except ValueError as e:
        return problems + ["%s %d: not JSON (%s)" % (where, status, e)]
    return problems + ["%s %d: %s" % (where, status, m)
                       for m in validate(doc, value, content[mime]["schema"])]


# The fixed fields of each OpenAPI 3.0.3 object the document may use (the
# specification's "Fixed Fields" tables); an "x-" key is an extension, and
# any other key makes the document invalid for validators and generators
# (a `description` beside `schema` in a media type did).
FIELDS = {
    "root": {"openapi", "info", "servers", "paths", "components", "security", "tags",
             "externalDocs"},
    "info": {"title", "description", "termsOfService", "contact", "license", "version"},
    "server": {"url", "description", "variables"},
    "path": {"$ref", "summary", "description", "get", "put", "post", "delete", "options",
             "head", "patch", "trace", "servers", "parameters"},
    "operation": {"tags", "summary", "description", "externalDocs", "operationId",
                  "parameters", "requestBody", "responses", "callbacks", "deprecated",
                  "security", "servers"},
    "parameter": {"name", "in", "description", "required", "deprecated", "allowEmptyValue",
                  "style", "explode", "allowReserved", "schema", "example", "examples",
                  "content"},
    "body": {"description", "content", "required"},
    "media": {"schema", "example", "examples", "encoding"},
    "response": {"description", "headers", "content", "links"},
    "header": {"description", "required", "deprecated", "allowEmptyValue", "style",
               "explode", "allowReserved", "schema", "example", "examples", "content"},
    "components": {"schemas", "responses", "parameters", "examples", "requestBodies",
                   "headers", "securitySchemes", "links", "callbacks"},
    "security": {"type", "description", "name", "in", "scheme", "bearerFormat", "flows",
                 "openIdConnectUrl"},
    "schema": {"title", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
               "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems",
               "minItems", "uniqueItems", "maxProperties", "minProperties", "required",
               "enum", "type", "allOf", "oneOf", "anyOf", "not", "items", "properties",
               "additionalProperties", "description", "format", "default", "nullable",
               "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example",
               "deprecated"},
}
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def structure(doc):
    """The keys of `doc` that no OpenAPI 3.0.3 object where they stand
    takes (a list of messages, empty when every object is well formed)."""
    errs = []

    def keys(node, kind, where):
        if not isinstance(node, dict):
            errs.append("%s: not an object" % where)
            return False
        if "$ref" in node and kind != "path":
            return False  # a reference object: its target is checked where it is
        for k in node:
            if k not in FIELDS[kind] and not k.startswith("x-"):
                errs.append("%s: '%s' is not a field of a %s object" % (where, k, kind))
        return True

    def schema(node, where):
        if not keys(node, "schema", where):
            return
        for k in ("allOf", "oneOf", "anyOf"):
            for i, s in enumerate(node.get(k, [])):
                schema(s, "%s.%s[%d]" % (where, k, i))
        for k in ("items", "not"):
            if k in node:
                schema(node[k], "%s.%s" % (where, k))
        if isinstance(node.get("additionalProperties"), dict):
            schema(node["additionalProperties"], where + ".additionalProperties")
        for name, s in node.get("properties", {}).items():
            schema(s, "%s.properties.%s" % (where, name))

    def content(node, where):
        for mime, m in node.items():
            w = "%s.content[%s]" % (where, mime)
            if keys(m, "media", w) and "schema" in m:
                schema(m["schema"], w + ".schema")

    def parameter(p, where):
        if keys(p, "parameter", where):
            if "schema" in p:
                schema(p["schema"], where + ".schema")
            content(p.get("content", {}), where)

    def response(r, where):
        if keys(r, "response", where):
            content(r.get("content", {}), where)
            for name, h in r.get("headers", {}).items():
                if keys(h, "header", "%s.headers.%s" % (where, name)) and "schema" in h:
                    schema(h["schema"], "%s.headers.%s.schema" % (where, name))

    keys(doc, "root", "$")
    keys(doc.get("info", {}), "info", "$.info")
    for i, s in enumerate(doc.get("servers", [])):
        keys(s, "server", "$.servers[%d]" % i)
    for path, item in doc.get("paths", {}).items():
        where = "$.paths[%s]" % path
        if not keys(item, "path", where):
            continue
        for i, p in enumerate(item.get("parameters", [])):
            parameter(p, "%s.parameters[%d]" % (where, i))
        for method in METHODS:
            op = item.get(method)
            if op is None or not keys(op, "operation", "%s.%s" % (where, method)):
                continue
            w = "%s.%s" % (where, method)
            for i, p in enumerate(op.get("parameters", [])):
                parameter(p, "%s.parameters[%d]" % (w, i))
            if "requestBody" in op and keys(op["requestBody"], "body", w + ".requestBody"):
                content(op["requestBody"].get("content", {}), w + ".requestBody")
            for status, r in op.get("responses", {}).items():
                response(r, "%s.responses[%s]" % (w, status))
    comp = doc.get("components", {})
    keys(comp, "components", "$.components")
    for name, s in comp.get("schemas", {}).items():
        schema(s, "$.components.schemas.%s" % name)
    for name, p in comp.get("parameters", {}).items():
        parameter(p, "$.components.parameters.%s" % name)
    for name, r in comp.get("responses", {}).items():
        response(r, "$.components.responses.%s" % name)
    for name, s in comp.get("securitySchemes", {}).items():
        keys(s, "security", "$.components.securitySchemes.%s" % name)
    return errs


if __name__ == "__main__":
    import sys
    problems = structure(load(sys.argv[1] if len(sys.argv) > 1 else DOCUMENT))
    for p in problems:
        print("openapi: %s" % p)
    sys.exit(1 if problems else 0)
