"""``headway.service.types`` re-exports what surfaces show: every name it lists loads, its
lazy table and ``__all__`` agree with its ``TYPE_CHECKING`` imports, and ``headway.api``
re-exports them all."""

from __future__ import annotations

import ast
import inspect

import headway.api
from headway.service import types


def type_checking_names() -> set[str]:
    """The names the module imports under ``if TYPE_CHECKING:`` (as bound, aliases included)."""
    tree = ast.parse(inspect.getsource(types))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


def test_the_lazy_table_all_and_the_type_checking_imports_agree() -> None:
    assert set(types._WHERE) == set(types.__all__) == type_checking_names()


def test_every_name_loads_and_headway_api_re_exports_it() -> None:
    for name in types.__all__:
        value = getattr(types, name)
        assert getattr(headway.api, name) is value, name
