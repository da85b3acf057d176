"""The one rule for names that come with the data: activity types and property keys.

A name is an opaque string taken verbatim (``$pageview``, ``Order Completed``,
``[Amplitude] Page Viewed``, ``Página vista``, keys with dots, spaces, brackets). Only three
kinds are refused: the empty name, a name longer than ``MAX_NAME_LENGTH`` characters (code
points), and a name containing a control character (Unicode category Cc: U+0000-U+001F,
U+007F-U+009F) or a lone surrogate (not Unicode text at all). Every input path (HTTP batches,
JSON Lines, CSV/Parquet checked in SQL) and the journey schema use this module.
"""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 200
# Category Cc, exactly (the C0 and C1 control ranges and DEL).
CONTROL_CLASS = "\\u0000-\\u001f\\u007f-\\u009f"
_FORBIDDEN = re.compile("[\u0000-\u001f\u007f-\u009f\ud800-\udfff]")
# ``VALID_NAME.fullmatch(name)`` is the whole rule in one call (the bulk paths use it).
VALID_NAME = re.compile(f"[^\u0000-\u001f\u007f-\u009f\ud800-\udfff]{{1,{MAX_NAME_LENGTH}}}")
# A valid name, for JSON Schema (ECMA 262 syntax; Python's ``re`` reads it the same way).
NAME_PATTERN = f"^[^{CONTROL_CLASS}]{{1,{MAX_NAME_LENGTH}}}$"
# DuckDB (RE2): a control character anywhere in the text.
SQL_CONTROL_PATTERN = "[\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]"
NAME_RULE = f"1 to {MAX_NAME_LENGTH} characters, no control characters"


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid type name or property key, or None when it is valid."""
    if not name:
        return "must not be empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"is longer than {MAX_NAME_LENGTH} characters ({len(name)})"
    bad = _FORBIDDEN.search(name)
    if bad is None:
        return None
    return f"contains {describe(bad.group())} at position {bad.start() + 1}"


def describe(char: str) -> str:
    """A forbidden character in words: ``a control character (U+000A)``."""
    code = ord(char)
    kind = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
    return f"{kind} (U+{code:04X})"


def is_name(name: object) -> bool:
    """True when ``name`` is a string that passes the name rule."""
    return isinstance(name, str) and name_problem(name) is None


def key_problem(properties: object, limit: int = 64) -> str | None:
    """Why some key of ``properties`` (at any depth, inside lists too) is invalid, or None.

    The message names the key by its property path (``context."page.url"``). ``limit`` bounds
    the nesting that is followed (deeper levels are data, not names anyone can address).
    """
    found = _walk(properties, (), limit)
    if found is None:
        return None
    from headway.model.property_paths import format_path  # (property_paths imports names)

    keys, why = found
    return f"has a key {_shorten(format_path(keys))} that {why}"


def _walk(value: object, keys: tuple[str, ...], limit: int) -> tuple[tuple[str, ...], str] | None:
    if limit <= 0:
        return None
    if type(value) is dict:
        for key, inner in value.items():
            if not isinstance(key, str):
                return (*keys, str(key)), "must be a string"
            why = name_problem(key)
            if why is not None:
                return (*keys, key), why
            if type(inner) in (dict, list):
                found = _walk(inner, (*keys, key), limit - 1)
                if found:
                    return found
    elif type(value) is list:
        for item in value:
            if type(item) in (dict, list):
                found = _walk(item, keys, limit - 1)
                if found:
                    return found
    return None


def _shorten(text: str) -> str:
    """A key for a message: quoted, control characters shown as escapes, long ones cut."""
    return repr(text if len(text) <= 80 else text[:77] + "...")
