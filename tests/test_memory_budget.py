"""The memory budget: sizes with units, clear errors for bad values, the CLI option."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from headway import memory_budget
from headway.cli import app
from headway.errors import ConfigError
from headway.memory_budget import parse_memory
from headway.settings import Settings


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("2GiB", 2 * 1024**3),
        ("512MiB", 512 * 1024**2),
        ("1.5GB", 1_500_000_000),
        (" 3 gib ", 3 * 1024**3),
        ("1073741824", 1024**3),
        (1024**3, 1024**3),
    ],
)
def test_sizes_parse(text: str | int, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["", "2 GiBs", "-1GiB", "lots", "1e9", "GiB"])
def test_bad_sizes_name_the_form(text: str) -> None:
    with pytest.raises(ValueError, match="not a memory size such as 2GiB or 512MiB"):
        parse_memory(text)


def test_too_small_says_the_minimum() -> None:
    with pytest.raises(ValueError, match="at least 256MiB"):
        parse_memory("100MiB")


def test_setting_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().memory_budget == memory_budget.DEFAULT_MEMORY_BUDGET
    monkeypatch.setenv("HEADWAY_MEMORY_BUDGET", "1GiB")
    assert Settings().memory_budget == 1024**3
    memory_budget.choose(None)
    assert memory_budget.current() == 1024**3
    monkeypatch.setenv("HEADWAY_MEMORY_BUDGET", "huge")
    with pytest.raises(ConfigError, match="HEADWAY_MEMORY_BUDGET: 'huge' is not a memory size"):
        memory_budget.current()


def test_settings_reject_a_bad_budget() -> None:
    with pytest.raises(Exception, match="memory size such as 2GiB"):
        Settings(memory_budget="two gigs")  # type: ignore[arg-type]


def test_cli_option() -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["--memory", "2 bananas", "--db", "x.duckdb", "types"])
    assert bad.exit_code != 0
    assert "--memory: '2 bananas' is not a memory size such as 2GiB or 512MiB" in str(bad.exception)
    try:
        memory_budget.choose_option("768MiB")
        assert memory_budget.current() == 768 * 1024**2
    finally:
        memory_budget.choose(None)
