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


def check_response(doc, method, template, status, ctype, body):
    """The ways an answer (status, Content-Type, body bytes) of `method
    template` (a path of the document, such as /subjects/{id}) breaks the
    document."""
    op = doc["paths"].get(template, {}).get(method.lower())
    if op is None:
        return ["%s %s is not in the document" % (method, template)]
    responses = op["responses"]
    if str(status) not in responses:
        return ["%s %s: status %d is not among the documented %s"
                % (method, template, status, sorted(responses))]
    response = resolve(doc, responses[str(status)])
    content = response.get("content", {})
    mime = (ctype or "").split(";")[0].strip()
    if mime not in content:
        return ["%s %s %d: Content-Type %r, the document says %s"
                % (method, template, status, ctype, sorted(content))]
    if mime != "application/json":
        return []
    try:
        value = json.loads(body)
    except ValueError as e:
        return ["%s %s %d: not JSON (%s)" % (method, template, status, e)]
    return ["%s %s %d: %s" % (method, template, status, m)
            for m in validate(doc, value, content[mime]["schema"])]
