"""``headway emails stats``, ``headway emails relabel`` and ``headway suppression export``."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from headway.cli import app
from headway.store import Store

T0 = datetime(2025, 3, 3, 9, 0)
HEADWAY = str(Path(sys.executable).with_name("headway"))
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def act(i: int, contact: str, type: str, minutes: float, **props: Any) -> dict[str, Any]:
    """A canonical activity of email n1, ``minutes`` after T0."""
    props = {"email": "n1", "user_agent": BROWSER, "ip": "198.51.100.9", **props}
    return {
        "id": f"c{i}",
        "contact": contact,
        "type": type,
        "ts": T0 + timedelta(minutes=minutes),
        "properties": orjson.dumps(props).decode(),
        "bot": False,
        "bot_reason": None,
        "source": "api",
    }


@pytest.fixture
def db(db_path: Path) -> Path:
    """n1 sent to a, b, c, d: a opens and clicks, b's open is Apple MPP, c unsubscribes,
    d bounces hard; c also complains."""
    rows = [
        *[act(i, c, "email_sent", 0) for i, c in enumerate("abcd")],
        act(4, "d", "email_bounce", 1, bounce_type="hard"),
        act(5, "a", "email_open", 60),
        act(6, "a", "email_click", 61, link="l1"),
        act(7, "b", "email_open", 1, ip="17.0.0.9", user_agent="Mozilla/5.0"),
        act(8, "c", "email_unsubscribe", 90),
        act(9, "c", "email_spam_report", 120),
    ]
    with Store(db_path) as store:
        store.append_activities(pa.Table.from_pylist(rows))
        store.write(
            lambda c: c.execute(
                "INSERT INTO emails VALUES ('n1', 'March news', 'News', 'news', 'newsletter', ?, ?)",
                [T0, T0],
            )
        )
    return db_path


def run(db: Path, *args: str) -> str:
    """Run a command in-process; its standard output (it must succeed)."""
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_stats_json_has_every_metric(db: Path) -> None:
    data = orjson.loads(run(db, "emails", "stats", "n1", "--json"))
    row = data["rows"][0]
    # sent 4, delivered 4 - 1 bounce = 3; unique opens a, b = 2; unique clicks a = 1
    assert (row["key"], row["name"], row["campaign"]) == ("n1", "March news", "news")
    assert (row["sent"], row["delivered"], row["hard_bounces"]) == (4, 3, 1)
    assert (row["unique_opens"], row["unique_clicks"]) == (2, 1)
    assert row["open_rate"] == 2 / 3 and row["click_to_open_rate"] == 1 / 2
    assert row["unsubscribe_rate"] == row["complaint_rate"] == 1 / 3
    assert data["links"][0]["share_of_clickers"] == 1.0
    assert len(data["timing"]["hours"]) == 73
    assert data["view"] == "all"


def test_relabel_then_human_view_drops_the_mpp_open(db: Path) -> None:
    out = run(db, "emails", "relabel")
    assert "mpp" in out and "total" in out
    data = orjson.loads(run(db, "emails", "stats", "n1", "--human", "--json"))
    assert data["view"] == "human"
    assert data["rows"][0]["unique_opens"] == 1
    assert data["rows"][0]["open_rate"] == 1 / 3


def test_stats_table_and_groupings(db: Path) -> None:
    out = run(db, "emails", "stats")
    assert "Email statistics (all view, by email;" in out
    assert "n1" in out and "total" in out and "66.7%" in out
    detail = run(db, "emails", "stats", "n1")
    assert "Links" in detail and "Timing" in detail
    weeks = orjson.loads(run(db, "emails", "stats", "--by", "week", "--json"))
    assert [r["key"] for r in weeks["rows"]] == ["2025-03-03"]
    news = orjson.loads(
        run(db, "emails", "stats", "--campaign", "news", "--by", "campaign", "--json")
    )
    assert news["rows"][0]["key"] == "news" and news["total"]["sent"] == 4


def test_suppression_export(db: Path, tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(db, "suppression", "export"))))
    assert [(r["contact"], r["reason"]) for r in rows] == [
        ("c", "complained"),
        ("c", "unsubscribed"),
        ("d", "hard_bounced"),
    ]
    assert rows[2]["since"] == "2025-03-03T09:01:00Z"
    target = tmp_path / "suppressed.csv"
    run(db, "suppression", "export", "--output", str(target))
    assert target.read_text().splitlines()[0] == "contact,email,reason,since"


@pytest.mark.slow
def test_errors_are_one_sentence_without_traceback(db: Path, tmp_path: Path) -> None:
    def fails(*args: str) -> str:
        proc = subprocess.run([HEADWAY, *args], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        return " ".join(proc.stderr.split())  # Rich wraps long sentences

    assert "grouped by" in fails("--db", str(db), "emails", "stats", "--by", "year")
    assert "--since" in fails("--db", str(db), "emails", "relabel", "--since", "yesterday")
    assert "does not exist" in fails("--db", str(tmp_path / "none.duckdb"), "emails", "stats")
    missing = tmp_path / "no" / "dir.csv"
    assert "cannot write" in fails("--db", str(db), "suppression", "export", "-o", str(missing))


@pytest.mark.slow
def test_stats_as_a_real_process(db: Path) -> None:
    proc = subprocess.run(
        [HEADWAY, "--db", str(db), "emails", "stats", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert orjson.loads(proc.stdout)["total"]["sent"] == 4
