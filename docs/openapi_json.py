#!/usr/bin/env python3
"""docs/openapi_json.py -- write docs/openapi.json from docs/openapi.yaml.

    python3 docs/openapi_json.py           write docs/openapi.json
    python3 docs/openapi_json.py --check   exit 1 if docs/openapi.json is stale

openapi.yaml is the document people edit; civic-server embeds openapi.json
(examples/server/server.mk) and serves it at GET /openapi.json.  Python's
standard library has no YAML reader, so this file has a small one for the
subset openapi.yaml uses, and refuses anything else:

  - block mappings (`key: value`, `key:` with an indented block below) and
    block sequences (`- item`, also `- key: value` starting a mapping);
  - flow mappings and sequences (`{a: b, c: [d, e]}`), also over several lines;
  - double-quoted strings with JSON-style escapes, and plain scalars: true,
    false, null, integers and decimals are typed, everything else is text;
  - folded block scalars (`key: >`);
  - `#` comments."""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
YAML = os.path.join(HERE, "openapi.yaml")
JSON = os.path.join(HERE, "openapi.json")


class YamlError(Exception):
    pass


def strip_comment(line):
    """The line without a trailing `# comment` (outside double quotes)."""
    quoted = False
    for i, c in enumerate(line):
        if c == '"' and (i == 0 or line[i - 1] != "\\"):
            quoted = not quoted
        elif c == "#" and not quoted and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def depth_change(text):
    quoted, d = False, 0
    for i, c in enumerate(text):
        if c == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and c in "[{":
            d += 1
        elif not quoted and c in "]}":
            d -= 1
    return d


def logical_lines(text):
    """[(indent, content, line number)]: comments and blank lines dropped, a flow
    collection over several lines joined into one, a folded scalar read whole
    (its content becomes a quoted JSON string)."""
    raw = text.split("\n")
    out, i = [], 0
    while i < len(raw):
        line = strip_comment(raw[i])
        lineno = i + 1
        i += 1
        if not line.strip():
            continue
        if "\t" in line[:len(line) - len(line.lstrip())]:
            raise YamlError("line %d: a tab in the indentation" % lineno)
        indent = len(line) - len(line.lstrip(" "))
        content = line.strip()
        if re.search(r":\s*>-?$", content):               # folded block scalar
            paragraphs, words = [], []
            while i < len(raw) and (not raw[i].strip() or
                                    len(raw[i]) - len(raw[i].lstrip(" ")) > indent):
                if raw[i].strip():
                    words.append(raw[i].strip())
                elif words:
                    paragraphs.append(" ".join(words))
                    words = []
                i += 1
            if words:
                paragraphs.append(" ".join(words))
            value = "\n".join(paragraphs) + ("" if content.endswith("-") else "\n")
            content = content[:content.rindex(":")] + ": " + json.dumps(value)
        while depth_change(content) > 0:                  # a flow collection goes on
            if i >= len(raw):
                raise YamlError("line %d: unclosed [ or {" % lineno)
            content += " " + strip_comment(raw[i]).strip()
            i += 1
        out.append((indent, content, lineno))
    return out


class Flow:
    """A parser of one flow node: {..}, [..], "..." or a plain scalar."""

    def __init__(self, text, lineno):
        self.s, self.i, self.lineno = text, 0, lineno

    def fail(self, what):
        raise YamlError("line %d: %s at %r" % (self.lineno, what, self.s[self.i:self.i + 20]))

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def node(self, stop):
        self.ws()
        c = self.s[self.i:self.i + 1]
        if c == "{":
            return self.mapping()
        if c == "[":
            return self.sequence()
        if c == '"':
            return self.quoted()
        return self.plain(stop)

    def mapping(self):
        self.i += 1
        out = {}
        while True:
            self.ws()
            if self.s[self.i:self.i + 1] == "}":
                self.i += 1
                return out
            key = self.quoted() if self.s[self.i:self.i + 1] == '"' else self.plain(":,}")
            self.ws()
            if self.s[self.i:self.i + 1] != ":":
                self.fail("expected ':'")
            self.i += 1
            if key in out:
                self.fail("duplicate key %r" % key)
            out[str(key)] = self.node(",}")
            self.ws()
            if self.s[self.i:self.i + 1] == ",":
                self.i += 1
            elif self.s[self.i:self.i + 1] != "}":
                self.fail("expected ',' or '}'")

    def sequence(self):
        self.i += 1
        out = []
        while True:
            self.ws()
            if self.s[self.i:self.i + 1] == "]":
                self.i += 1
                return out
            out.append(self.node(",]"))
            self.ws()
            if self.s[self.i:self.i + 1] == ",":
                self.i += 1
            elif self.s[self.i:self.i + 1] != "]":
                self.fail("expected ',' or ']'")

    def quoted(self):
        m = re.compile(r'"(?:[^"\\]|\\.)*"').match(self.s, self.i)
        if not m:
            self.fail("unterminated string")
        self.i = m.end()
        return json.loads(m.group(0))

    def plain(self, stop):
        start = self.i
        while self.i < len(self.s) and self.s[self.i] not in stop:
            if self.s[self.i] == ":" and ":" not in stop and \
                    self.s[self.i + 1:self.i + 2] in ("", " "):
                break
            self.i += 1
        text = self.s[start:self.i].strip()
        if not text:
            self.fail("empty value")
        return typed(text)


def typed(text):
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    if re.fullmatch(r"[-+]?[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?", text):
        return float(text)
    if text[0] in "&*!|>%@`'":
        raise YamlError("YAML feature not supported here: %r" % text)
    return text


def inline(text, lineno):
    f = Flow(text, lineno)
    value = f.node("")
    f.ws()
    if f.i != len(text):
        f.fail("unexpected text")
    return value


def split_key(content, lineno):
    """'key: value' -> (key, value text or '')."""
    f = Flow(content, lineno)
    key = f.quoted() if content.startswith('"') else f.plain(":")
    if f.s[f.i:f.i + 1] != ":":
        f.fail("expected 'key: value'")
    return str(key), content[f.i + 1:].strip()


def block(lines, i, indent):
    """The block node whose lines start at lines[i] with this indent."""
    if lines[i][1] == "-" or lines[i][1].startswith("- "):
        out = []
        while i < len(lines) and lines[i][0] == indent and \
                (lines[i][1] == "-" or lines[i][1].startswith("- ")):
            item, lineno = lines[i][1][2:].strip(), lines[i][2]
            if not item:
                value, i = block(lines, i + 1, lines[i + 1][0])
            elif item[0] in '{["' or not re.match(r'^[^:]+:( |$)', item):
                value, i = inline(item, lineno), i + 1
            else:                                   # "- key: value" starts a mapping
                lines[i] = (indent + 2, item, lineno)
                value, i = block(lines, i, indent + 2)
            out.append(value)
        return out, i
    out = {}
    while i < len(lines) and lines[i][0] == indent:
        key, rest = split_key(lines[i][1], lines[i][2])
        if key in out:
            raise YamlError("line %d: duplicate key %r" % (lines[i][2], key))
        if rest:
            out[key], i = inline(rest, lines[i][2]), i + 1
        elif i + 1 < len(lines) and lines[i + 1][0] > indent:
            out[key], i = block(lines, i + 1, lines[i + 1][0])
        else:
            out[key], i = None, i + 1
    return out, i


def load(text):
    lines = logical_lines(text)
    value, i = block(lines, 0, lines[0][0])
    if i != len(lines):
        raise YamlError("line %d: indentation does not match" % lines[i][2])
    return value


def render(path=YAML):
    with open(path, encoding="utf-8") as f:
        doc = load(f.read())
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    try:
        text = render()
    except YamlError as e:
        print("docs/openapi.yaml: %s" % e, file=sys.stderr)
        return 2
    if argv[1:] == ["--check"]:
        try:
            with open(JSON, encoding="utf-8") as f:
                if f.read() == text:
                    return 0
        except FileNotFoundError:
            pass
        print("docs/openapi.json is not docs/openapi.yaml: run python3 docs/openapi_json.py",
              file=sys.stderr)
        return 1
    with open(JSON, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
