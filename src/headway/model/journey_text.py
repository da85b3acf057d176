"""Read the text of a journey definition (YAML or JSON) into plain data.

YAML is read with the YAML 1.2 core rules for scalars: only ``true``/``false`` are booleans
(``country: NO`` stays the string ``'NO'``) and dates stay strings (``2025-01-01``), so a
value means the same in YAML and in JSON. Repeated keys are an error, not a silent overwrite.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from headway.errors import InvalidJourney


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
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _syntax(source_name, line, col, err.problem or "not valid YAML", "YAML") from None
    except yaml.YAMLError as err:
        raise _syntax(source_name, 1, 1, str(err), "YAML") from None


def _syntax(source: str | None, line: int, col: int, what: str, kind: str) -> InvalidJourney:
    where = f"{source}: " if source else ""
    return InvalidJourney(f"{where}line {line}, column {col}: {what} (not valid {kind})")
