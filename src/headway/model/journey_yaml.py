"""The canonical YAML text of a journey: one writer, so the same journey is always the same text.

``journey_yaml(journey)`` writes ``journey_to_dict(journey)`` in a fixed layout: keys in the
canonical order, lists indented under their key, and each condition (or part of one) on one
line in flow style (``{type: page_visit, where: {url: {contains: /pricing}}}``) when it fits in
``FLOW_WIDTH`` characters, else in block style with the same rule one level down. Strings are
quoted only when the journey reader (YAML 1.2 core rules, ``journey_text``) would read them
as something else, so ``country: NO`` and ``from: 2025-01-01`` stay plain. PyYAML's emitter
does the writing; ``parse_journey(journey_yaml(j)) == j`` for every journey, and a text this
writer produced is given back unchanged (``journey_yaml(parse_journey(text)) == text``).
The dashboard's visual builder edits journeys through this writer (docs/journeys.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from headway.model.journey import Journey, journey_to_dict
from headway.model.journey_text import _Values

FLOW_WIDTH = 100  # a condition longer than this on one line is written in block style
_CONDITION_KEYS = ("when", "filter", "exit_when")


class _Flow(dict[str, Any]):
    """A condition mapping: written in flow style when it fits on one line."""


class _FlowList(list[Any]):
    """A list inside a condition (``in`` values, ``type`` lists, ``any``/``all`` items)."""


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper with the journey reader's scalar rules and indented lists."""

    yaml_implicit_resolvers = _Values.yaml_implicit_resolvers

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Lists under a key are indented (``stages:`` then ``  - name: …``)."""
        super().increase_indent(flow, False)


def _represent_flow(dumper: _Dumper, data: _Flow) -> yaml.Node:
    flow = len(_one_line(data)) <= FLOW_WIDTH
    node = dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)
    if flow:
        _flow_all(node)
    return node


def _represent_flow_list(dumper: _Dumper, data: _FlowList) -> yaml.Node:
    flow = len(_one_line(data)) <= FLOW_WIDTH
    node = dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)
    if flow:
        _flow_all(node)
    return node


def _flow_all(node: yaml.Node) -> None:
    """Everything inside a flow collection is flow too."""
    if isinstance(node, yaml.MappingNode):
        node.flow_style = True
        for key, value in node.value:
            _flow_all(key)
            _flow_all(value)
    elif isinstance(node, yaml.SequenceNode):
        node.flow_style = True
        for item in node.value:
            _flow_all(item)


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    # PyYAML may write NEL, LS and PS bare in a plain or single-quoted scalar, where a reader
    # takes them for line breaks; double quotes escape them (\N, \L, \P).
    # Text of several lines is written as a literal block where YAML allows one.
    style = '"' if any(c in data for c in _BREAKS) else "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_BREAKS = "\x85\u2028\u2029"
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _one_line(data: Any) -> str:
    """``data`` in flow style on one line (how long it would be)."""
    text = _dump(_plain(data), flow=True)
    return text.rstrip("\n")


def _dump(data: Any, *, flow: bool) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        default_flow_style=flow,
        allow_unicode=True,
        sort_keys=False,
        width=1 << 30,  # a long string stays on its line
    )


def _plain(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _mark(condition: Any) -> Any:
    """Mark a condition's mappings and lists for the flow rule (values stay as they are)."""
    if isinstance(condition, Mapping):
        return _Flow({k: _mark(v) for k, v in condition.items()})
    if isinstance(condition, list):
        return _FlowList(_mark(v) for v in condition)
    return condition


def _marked(definition: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in definition.items():
        if key in _CONDITION_KEYS:
            out[key] = _mark(value)
        elif key == "date_range" and isinstance(value, Mapping):
            out[key] = _Flow(value)
        elif key in ("stages", "exclusions") and isinstance(value, list):
            out[key] = [_marked(v) if isinstance(v, Mapping) else v for v in value]
        elif key == "between" and isinstance(value, list):
            out[key] = _FlowList(value)
        else:
            out[key] = value
    return out


def definition_yaml(definition: Mapping[str, Any]) -> str:
    """A definition mapping as YAML text in the canonical layout (the mapping as given: pass
    ``journey_to_dict`` of a parsed journey for the canonical text)."""
    return _dump(_marked(definition), flow=False)


def journey_yaml(journey: Journey) -> str:
    """The canonical YAML text of a journey (``parse_journey`` gives the same journey back)."""
    return definition_yaml(journey_to_dict(journey))
