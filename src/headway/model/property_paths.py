"""Property paths: how a journey names a value inside an activity's ``properties``.

A path is one or more keys joined by ``.``; each key steps into a nested object. A key is
written bare when it contains no ``.`` and does not start with ``"`` (``$current_url``,
``utm_source``, ``Página vista``, ``[Amplitude] Page Viewed``, ``page url``); any other key is
written as a JSON string literal (double quotes, JSON escapes): ``context."page.url"`` is the
key ``page.url`` inside ``context``, ``"a.b"`` the top-level key ``a.b``. Every key follows
the name rule (``names.py``). ``format_path`` writes the canonical text and
``parse_path(format_path(keys)) == keys`` for every tuple of valid keys.
"""

from __future__ import annotations

import json

from headway.model.names import CONTROL_CLASS, name_problem

# The longest path text accepted (200-character keys, quoted and escaped, a few levels deep).
MAX_PATH_LENGTH = 2000
# The path syntax for JSON Schema (ECMA 262 syntax; Python's ``re`` reads it the same way).
# It checks the shape only; ``parse_path`` also applies the name rule to the decoded keys.
_BARE = f'[^."{CONTROL_CLASS}][^.{CONTROL_CLASS}]*'
_QUOTED = f'"(?:[^"\\\\{CONTROL_CLASS}]|\\\\["\\\\/bfnrt]|\\\\u[0-9a-fA-F]{{4}})*"'
_KEY = f"(?:{_BARE}|{_QUOTED})"
PATH_PATTERN = f"^{_KEY}(?:\\.{_KEY})*$"
SYNTAX = (
    "keys joined by '.'; a key that contains '.' or starts with '\"' is written in double"
    ' quotes, e.g. context."page.url"'
)
_DECODER = json.JSONDecoder()


def parse_path(text: str) -> tuple[str, ...]:
    """The keys of a property path; ValueError saying what is wrong when it is malformed."""
    if not text:
        raise ValueError("is empty")
    if len(text) > MAX_PATH_LENGTH:
        raise ValueError(f"is longer than {MAX_PATH_LENGTH} characters")
    keys: list[str] = []
    at = 0
    while True:
        key, at = _key(text, at)
        why = name_problem(key)
        if why is not None:
            shown = json.dumps(key if len(key) <= 60 else key[:57] + "...", ensure_ascii=False)
            raise ValueError(f"has key {len(keys) + 1} ({shown}) that {why}")
        keys.append(key)
        if at == len(text):
            return tuple(keys)
        at += 1  # the '.' (``_key`` stops only at a dot or the end)
        if at == len(text):
            raise ValueError("ends with '.' (a key is missing after it)")


def _key(text: str, at: int) -> tuple[str, int]:
    """The key starting at ``at`` and the position just after it (a '.' or the end)."""
    if text[at] != '"':
        end = text.find(".", at)
        end = len(text) if end < 0 else end
        if end == at:
            where = "starts with '.'" if at == 0 else f"has '..' at position {at}"
            raise ValueError(f"{where} (a key is missing)")
        return text[at:end], end
    try:
        key, end = _DECODER.raw_decode(text, at)
    except json.JSONDecodeError as err:
        raise ValueError(
            f"has a quoted key at position {at + 1} that is not a JSON string ({err.msg})"
        ) from None
    if end < len(text) and text[end] != ".":
        raise ValueError(
            f"has {text[end]!r} at position {end + 1} after a quoted key (expected '.' or the end)"
        )
    return key, end


def format_path(keys: tuple[str, ...]) -> str:
    """The canonical text of a property path (keys quoted only where they must be)."""
    return ".".join(_format_key(key) for key in keys)


def _format_key(key: str) -> str:
    if key and "." not in key and not key.startswith('"'):
        return key
    return json.dumps(key, ensure_ascii=False)


def path_problem(text: str) -> str | None:
    """Why ``text`` is not a property path, or None when it is one."""
    try:
        parse_path(text)
    except ValueError as err:
        return str(err)
    return None
