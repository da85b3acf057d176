"""Read the text of a journey definition (YAML or JSON) into plain data.

YAML is read with the YAML 1.2 core rules for scalars: only ``true``/``false`` are booleans
(``country: NO`` stays the string ``'NO'``) and dates stay strings (``2025-01-01``), so a
value means the same in YAML and in JSON. Repeated keys are an error, not a silent overwrite.
Aliases, tags beyond the core ones and complex keys are refused; the limits of
``journey_limits`` stop the reading as soon as one is exceeded.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from headway.errors import InvalidJourney
from headway.model.journey_limits import (
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_VALUES,
    depth_reason,
    long_number,
    refuse,
)

# libyaml's parser (C) when PyYAML has it, else PyYAML's own (the same events, slower).
_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", yaml.SafeLoader)


def read_text(text: str, source_name: str | None = None) -> Any:
    """The data in YAML or JSON text; InvalidJourney naming line and column on a syntax error."""
    is_json = bool(source_name and source_name.lower().endswith(".json"))
    json_error = None
    if is_json or text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text, parse_int=_json_int, parse_float=_json_float)
        except json.JSONDecodeError as err:
            json_error = _syntax(source_name, err.lineno, err.colno, err.msg, "JSON")
            if is_json:
                raise json_error from None
    try:
        return _yaml(text, source_name)
    except InvalidJourney as yaml_error:
        # Text that looks like JSON gets JSON's account of what is wrong with it.
        raise (json_error or yaml_error) from None


def _json_int(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise refuse(long_number(len(text)))
    return int(text)


def _json_float(text: str) -> float:
    if len(text) > MAX_DIGITS:
        raise refuse(long_number(len(text)))
    return float(text)


def _yaml(text: str, source_name: str | None) -> Any:
    try:
        return _load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = err.problem or "not valid YAML"
        if what == "exceeded maximum nesting depth":  # libyaml's own bound (1000)
            raise refuse(f"line {line}, column {col}: {depth_reason()}") from None
        if what == "found character that cannot start any token" and mark:
            char = text[mark.index : mark.index + 1]  # libyaml does not say which
            what = f"found character {char!r} that cannot start any token"
        raise _syntax(source_name, line, col, what, "YAML") from None
    except yaml.YAMLError as err:
        raise _syntax(source_name, 1, 1, str(err), "YAML") from None
    except UnicodeEncodeError as err:  # libyaml takes UTF-8: a lone surrogate is not text
        where = f"{source_name}: " if source_name else ""
        reason = f"not valid Unicode text (a lone surrogate at character {err.start})"
        raise refuse(f"{where}the journey definition is {reason}") from None


_ALLOWED_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
}
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")  # YAML 1.2: no yes/no/on/off


class _Values(yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """PyYAML's safe scalar rules minus YAML 1.1's booleans and timestamps, value by value."""

    yaml_implicit_resolvers: dict[Any, Any] = {  # noqa: RUF012 (as PyYAML declares it)
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag in _ALLOWED_TAGS and tag != "tag:yaml.org,2002:bool"
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Values.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))


def _load(text: str) -> Any:
    """One YAML document as plain data, from libyaml's events in a single linear pass.

    Nothing recurses and every event is seen once, so the time is linear in the text (PyYAML's
    pure-Python scanner is quadratic in the depth of ``[[[...``). Aliases, tags other than
    the core ones, complex keys and repeated keys are refused where they stand; more than
    ``MAX_VALUES`` values or ``MAX_DEPTH`` levels stop the reading at once.
    """
    parser = _Parser(text)
    values = _Values()
    stack: list[tuple[dict[Any, Any] | list[Any], list[Any]]] = []  # (container, [key])
    result: Any = None
    count = documents = 0
    try:
        while True:
            event: Any = parser.get_event()
            kind = type(event)
            if kind is yaml.ScalarEvent:
                count += 1
                if count > MAX_VALUES:
                    raise _limit(event, f"more than {MAX_VALUES:,} values (the limit)")
                top = stack[-1] if stack else None
                if top is not None and type(top[0]) is dict and not top[1]:
                    value = event.value  # a key is its text, as in JSON ("1", "true", "~")
                else:
                    value = _scalar(event, values)
                if top is not None:
                    _add(top, value, event)
                else:
                    result = value
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                count += 1
                if count > MAX_VALUES:
                    raise _limit(event, f"more than {MAX_VALUES:,} values (the limit)")
                if len(stack) >= MAX_DEPTH:
                    raise _limit(event, depth_reason())
                mapping = kind is yaml.MappingStartEvent
                _check_tag(event.tag, f"tag:yaml.org,2002:{'map' if mapping else 'seq'}", event)
                container: dict[Any, Any] | list[Any] = {} if mapping else []
                if stack:
                    _add(stack[-1], container, event)
                stack.append((container, []))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                done = stack.pop()[0]
                if not stack:
                    result = done
            elif kind is yaml.AliasEvent:
                raise yaml.MarkedYAMLError(
                    problem="aliases (*name) are not allowed in a journey; write the value out",
                    problem_mark=event.start_mark,
                )
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise yaml.MarkedYAMLError(
                        problem="expected a single document, found another",
                        problem_mark=event.start_mark,
                    )
            elif kind is yaml.StreamEndEvent:
                return result
    finally:
        parser.dispose()


def _scalar(event: Any, values: _Values) -> Any:
    tag, text = event.tag, event.value
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return text  # quoted: always a string
        if text and text[0] not in values.yaml_implicit_resolvers:
            return text  # plain, and no implicit type starts with this character
        tag = values.resolve(yaml.ScalarNode, text, event.implicit)
    _check_tag(tag, tag, event)
    if tag == "tag:yaml.org,2002:str":
        return text
    if len(text) > MAX_DIGITS and tag != "tag:yaml.org,2002:null":
        raise _limit(event, long_number(len(text)))  # ints, floats and booleans
    node = yaml.ScalarNode(tag, text, event.start_mark, event.end_mark, event.style)
    return values.yaml_constructors[tag](values, node)


def _check_tag(tag: str | None, default: str, event: Any) -> None:
    if tag is not None and tag != "!" and (tag != default or tag not in _ALLOWED_TAGS):
        raise yaml.MarkedYAMLError(
            problem=f"the tag {tag} is not allowed in a journey", problem_mark=event.start_mark
        )


def _add(top: tuple[dict[Any, Any] | list[Any], list[Any]], value: Any, event: Any) -> None:
    container, key = top
    if isinstance(container, list):
        container.append(value)
    elif not key:
        if isinstance(value, dict | list):
            raise yaml.MarkedYAMLError(
                problem="a key must be a single value, not a mapping or a list",
                problem_mark=event.start_mark,
            )
        if value in container:
            raise yaml.MarkedYAMLError(
                problem=f"key {value!r} appears twice in one mapping",
                problem_mark=event.start_mark,
            )
        key.append(value)
    else:
        container[key.pop()] = value


def _limit(event: Any, reason: str) -> InvalidJourney:
    mark = event.start_mark
    return refuse(f"line {mark.line + 1}, column {mark.column + 1}: {reason}")


def _syntax(source: str | None, line: int, col: int, what: str, kind: str) -> InvalidJourney:
    where = f"{source}: " if source else ""
    return InvalidJourney(f"{where}line {line}, column {col}: {what} (not valid {kind})")
