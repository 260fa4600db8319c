"""A small reader for Triton's config.pbtxt (protobuf text format), enough to compare and check configs.

Every field maps to a list of values (protobuf fields may repeat); messages are dicts, scalars are str, int
or float. Comments (#) are skipped. It does not know the schema: that is what Triton itself checks.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"#]+')


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text) if t.strip() and not t.startswith("#")]


def _scalar(token: str) -> str | int | float:
    if token.startswith('"'):
        return bytes(token[1:-1], "utf-8").decode("unicode_escape")
    for kind in (int, float):
        try:
            return kind(token)
        except ValueError:
            pass
    return token  # an enum name such as TYPE_FP32 or KIND_CPU


def _value(tokens: list[str], i: int) -> tuple[object, int]:
    if tokens[i] == "{":
        return _message(tokens, i + 1, "}")
    return _scalar(tokens[i]), i + 1


def _message(tokens: list[str], i: int, end: str | None) -> tuple[dict, int]:
    fields: dict[str, list] = {}
    while i < len(tokens) and tokens[i] != end:
        name = tokens[i]
        i += 1
        if tokens[i] == ":":
            i += 1
        values = fields.setdefault(name, [])
        if tokens[i] == "[":
            i += 1
            while tokens[i] != "]":
                value, i = _value(tokens, i)
                values.append(value)
                if tokens[i] == ",":
                    i += 1
            i += 1
        else:
            value, i = _value(tokens, i)
            values.append(value)
        if i < len(tokens) and tokens[i] in (",", ";"):
            i += 1
    return fields, i + 1


def parse(text: str) -> dict[str, list]:
    """config.pbtxt text -> {field: [values]}."""
    return _message(_tokens(text), 0, None)[0]


def tensors(config: dict, kind: str) -> dict[str, tuple[str, tuple[int, ...]]]:
    """`input` or `output` entries as {name: (data_type, dims)}."""
    return {t["name"][0]: (t["data_type"][0], tuple(t["dims"])) for t in config.get(kind, [])}
