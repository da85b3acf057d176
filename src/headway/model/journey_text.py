"""Read the text of a journey definition (YAML or JSON) into plain data.

YAML is read with the YAML 1.2 core rules for scalars: only ``true``/``false`` are booleans
(``country: NO`` stays the string ``'NO'``) and dates stay strings (``2025-01-01``), so a
value means the same in YAML and in JSON. Repeated keys are an error, not a silent overwrite.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

import yaml

try:
    from yaml.cyaml import CParser as _Parser  # libyaml
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

from headway.errors import InvalidJourney
from headway.model.journey_limits import MAX_DEPTH, MAX_VALUES, depth_reason, refuse


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, no timestamps, no repeated keys and no aliases."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # An alias can refer to its own ancestor (a cycle) or nest references exponentially
        # (a "billion laughs"); a journey never needs one, so refuse it where it stands.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in a journey; write the value out",
                problem_mark=mark,
            )
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.MarkedYAMLError(
                problem=f"key {key!r} appears twice in one mapping", problem_mark=mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_text(text: str, source_name: str | None = None) -> Any:
    """The data in YAML or JSON text; InvalidJourney naming line and column on a syntax error."""
    is_json = bool(source_name and source_name.lower().endswith(".json"))
    json_error = None
    if is_json or text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            json_error = _syntax(source_name, err.lineno, err.colno, err.msg, "JSON")
            if is_json:
                raise json_error from None
    try:
        return _yaml(text, source_name)
    except InvalidJourney as yaml_error:
        # Text that looks like JSON gets JSON's account of what is wrong with it.
        raise (json_error or yaml_error) from None


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


_ALLOWED_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
}


class _Values(yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """The scalar rules of ``_Loader`` (its resolvers and constructors), used value by value."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _ALLOWED_TAGS]
        for first, resolvers in _Loader.yaml_implicit_resolvers.items()
    }


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
            event = parser.get_event()
            if isinstance(event, yaml.StreamEndEvent):
                return result
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise yaml.MarkedYAMLError(
                        problem="expected a single document, found another",
                        problem_mark=event.start_mark,
                    )
                continue
            if isinstance(event, yaml.AliasEvent):
                raise yaml.MarkedYAMLError(
                    problem="aliases (*name) are not allowed in a journey; write the value out",
                    problem_mark=event.start_mark,
                )
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                done = stack.pop()[0]
                if not stack:
                    result = done
                continue
            if not isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
                continue  # stream and document ends
            count += 1
            if count > MAX_VALUES:
                raise _limit(event, f"more than {MAX_VALUES:,} values (the limit)")
            value = _value(event, values)
            if isinstance(value, dict | list):
                if len(stack) >= MAX_DEPTH:
                    raise _limit(event, depth_reason())
                if stack:
                    _add(stack[-1], value, event)
                stack.append((value, []))
            elif stack:
                _add(stack[-1], value, event)
            else:
                result = value
    finally:
        parser.dispose()


def _value(event: Any, values: _Values) -> Any:
    tag = event.tag
    if isinstance(event, yaml.MappingStartEvent):
        _check_tag(tag, "tag:yaml.org,2002:map", event)
        return {}
    if isinstance(event, yaml.SequenceStartEvent):
        _check_tag(tag, "tag:yaml.org,2002:seq", event)
        return []
    if tag is None or tag == "!":
        if not event.implicit[0]:
            return event.value  # quoted: always a string
        tag = values.resolve(yaml.ScalarNode, event.value, event.implicit)
    _check_tag(tag, tag, event)
    if tag == "tag:yaml.org,2002:str":
        return event.value
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
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
