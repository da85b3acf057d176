"""What the catalogue records of each (type, property path): the JSON kinds it counts and the
number of distinct values it tracks before calling a path high-cardinality."""

from __future__ import annotations

VALUE_CAP = 200  # distinct scalar values tracked per (type, path)
KINDS = ("string", "number", "boolean", "object", "array", "null")
