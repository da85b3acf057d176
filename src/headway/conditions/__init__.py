"""The condition language compiled to SQL expression trees (pure, no I/O)."""

from headway.conditions.compile import compile_condition, compile_flag, type_test
from headway.conditions.scope import Params, Scope

__all__ = ["Params", "Scope", "compile_condition", "compile_flag", "type_test"]
