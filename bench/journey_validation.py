"""Journey validation against a hostile corpus: the worst case beside the goal (≤ 100 ms).

Every input is at most 1 MiB and aims at one way of making a validator slow or making it
crash: nested brackets (JSON and YAML flow), deep block indentation, deep conditions,
thousands of unknown keys (in one mapping and spread over many), many stages and
conditions, huge lists, long strings, a "billion laughs" of YAML anchors and aliases,
repeated keys, huge numbers, many regexes, many bad property paths, and the largest
definitions that are still valid. Each input is validated ``--runs`` times with
``parse_journey`` (the one path of the API, the dashboard, the CLI and ``headway.open``);
the table gives the median and the slowest run in wall and CPU milliseconds, and the
outcome (``valid`` or the start of the refusal). Anything but ``InvalidJourney`` is a crash
and makes the script exit 1.

    .venv/bin/python bench/journey_validation.py            # the whole corpus, 1 MiB inputs
    .venv/bin/python bench/journey_validation.py --quick    # small inputs, one run each
"""

# ruff: noqa: E402 (imports follow the sys.path fix below)
from __future__ import annotations

import sys

# bench/ holds email.py: keep this folder off the path (the standard library's email).
sys.path[:] = [p for p in sys.path if not p.rstrip("/").endswith("/bench") and p != "bench"]

import argparse
import json
import statistics
import time
from collections.abc import Callable

from headway.errors import InvalidJourney
from headway.model.journey import parse_journey
from headway.model.journey_limits import MAX_CONDITIONS, MAX_DEFINITION_BYTES

GOAL_MS = 100.0
MIB = 1024 * 1024
STAGE = "{name: s%d, when: {type: t, where: {plan: {in: [pro, team]}}}}"


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> str:
    """``head`` + ``unit`` repeated to about ``size`` characters + ``tail``."""
    return head + unit * max(1, (size - len(head) - len(tail)) // len(unit)) + tail


def _stages(n: int, when: Callable[[int], str] = lambda i: f"{{type: t{i}}}") -> str:
    stages = "".join(f"  - {{name: s{i}, when: {when(i)}}}\n" for i in range(n))
    return "name: x\nstages:\n" + stages


def _json_keys(n: int, where: str) -> str:
    keys = {f"key{i}": i for i in range(n)}
    stage: dict[str, object] = {"name": "a", "when": {"type": "a"}}
    doc: dict[str, object] = {"name": "x", "stages": [stage]}
    target = {"top": doc, "stage": stage, "condition": stage["when"]}[where]
    target.update(keys)  # type: ignore[attr-defined]
    return json.dumps(doc)


def _spread_unknown_keys(size: int) -> str:
    """Unknown keys within the per-mapping limit, in as many conditions as fit."""
    keys = ", ".join(f"k{i}: 1" for i in range(199))
    stage = "  - {name: s%d, when: {type: t, " + keys + "}}\n"
    count = min(63, size // len(stage))
    return "name: x\nstages:\n" + "".join(stage % i for i in range(count))


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def corpus(size: int) -> dict[str, str]:
    """The hostile inputs, each at most ``size`` bytes (1 MiB in the full run).

    Most are made just under the size limit of a definition (the worst that gets parsed);
    a few are ``size`` bytes, to show that larger ones are refused unread.
    """
    big = size
    size = min(size, MAX_DEFINITION_BYTES - 128)
    half = size // 2
    where = "{type: t, where: {" + ", ".join(f"p{j}: {{regex: '^a+b{j}$'}}" for j in range(14))
    pair = "{type: t, where: {" + ", ".join(f"p{j}: {{regex: '^a+b{j}$'}}" for j in range(2))
    cases = {
        "nested brackets, JSON": "[" * half + "]" * half,
        "nested brackets, YAML flow": _fill("[", half, "a: ") + "]" * half,
        "nested braces, YAML flow": _fill("{a: ", size - 10, "a: "),
        "deep block indentation": "".join(
            " " * i + "a:\n" for i in range(int((2 * size) ** 0.5) - 4)
        ),
        "deep not conditions": _fill("{not: ", size, "name: x\nstages: [{name: a, when: "),
        "unknown keys, top": _json_keys(size // 18, "top"),
        "unknown keys, stage": _json_keys(size // 18, "stage"),
        "unknown keys, condition": _json_keys(size // 18, "condition"),
        "unknown keys, 199 per mapping": _spread_unknown_keys(size),
        "100,000 stages": _stages(min(100_000, size // 40)),
        "63 stages × 14 regexes": _stages(63, lambda i: where.replace("b", f"b{i}x") + "}}"),
        "100 regexes (valid)": _stages(50, lambda i: pair.replace("b", f"b{i}x") + "}}"),
        "63 stages × 60 values (valid)": _stages(
            63,
            lambda i: (
                "{type: t, where: {plan: {in: [" + ",".join(f"v{i}x{j}" for j in range(60)) + "]}}}"
            ),
        ),
        "huge list of values": _fill(
            "x,", size, "name: x\nstages: [{name: a, when: {type: [", "]}}]"
        ),
        "1,000 values in one list (valid)": "name: x\nstages: [{name: a, when: {type: t, where:"
        " {plan: {in: [" + ",".join(f"v{i}" for i in range(1_000)) + "]}}}}]\n",
        "9,999 values in one list": "name: x\nstages: [{name: a, when: {type: t, where:"
        " {plan: {in: [" + ",".join(f"v{i}" for i in range(9_999)) + "]}}}}]\n",
        "one long string": "name: " + "x" * (size - 10),
        "long strings at the limit": _stages(
            min(63, size // 10_100), lambda i: "{type: '" + "x" * 9_990 + "'}"
        ),
        "many conditions in any": "name: x\nstages: [{name: a, when: {any: ["
        + ", ".join(f"{{type: t{i}}}" for i in range(min(size // 12, 50_000)))
        + "]}}]\n",
        "conditions at the limit (valid)": "name: x\nstages: [{name: a, when: {any: ["
        + ", ".join(f"{{type: t{i}}}" for i in range(MAX_CONDITIONS - 1))
        + "]}}]\n",
        "billion laughs (aliases)": _billion_laughs(),
        "many anchors, no alias": "name: x\nstages:\n"
        + "".join(f"  - &a{i} {{name: s{i}, when: {{type: t}}}}\n" for i in range(63)),
        "repeated keys": "name: x\n" + "name: y\n" * (size // 8),
        "huge number, JSON": '{"name": ' + "9" * (size - 20) + "}",
        "huge number, YAML": "name: " + "9" * (size - 10),
        "bad property paths": _stages(
            63,
            lambda i: (
                "{type: t, where: {"
                + ", ".join(f"'a..b{j}': 1" for j in range(min(199, size // 1_000)))
                + "}}"
            ),
        ),
        "tags and complex keys": "name: !!python/object:os.system x\n",
        "4-byte characters": "name: " + "😀" * ((size - 10) // 4),
        f"{big // 1024:,} KiB of nested brackets": "[" * (big // 2) + "]" * (big // 2),
        f"{big // 1024:,} KiB of unknown keys": _json_keys(big // 20, "top"),
        "largest text accepted (spaces)": "name: x\nstages: [{name: a, when: {type: t}}]\n"
        + "#" * (MAX_DEFINITION_BYTES - 60),
        "one byte over the limit": "#" * (MAX_DEFINITION_BYTES + 1),
    }
    return {name: text for name, text in cases.items() if len(text.encode()) <= big}


def measure(text: str, runs: int) -> tuple[list[float], list[float], str]:
    """Wall and CPU milliseconds of each run, and the outcome."""
    walls, cpus, outcome = [], [], ""
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            parse_journey(text)
            outcome = "valid"
        except InvalidJourney as err:
            outcome = "refused: " + str(err)[:70]
        except Exception as err:  # a crash: what this looks for
            outcome = f"CRASH {type(err).__name__}: {str(err)[:60]}"
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return walls, cpus, outcome


def main() -> int:
    """Run the corpus and print the table and the worst case beside the goal."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="16 KiB inputs, one run each")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    size, runs = (16 * 1024, 1) if args.quick else (MIB, args.runs)
    # Warm the process first (imports, the engine's regex checker): a server is warm.
    parse_journey("name: w\nstages: [{name: a, when: {type: t, where: {p: {regex: '^w'}}}}]")
    print(f"inputs ≤ {size:,} bytes, {runs} run(s) each; goal ≤ {GOAL_MS:.0f} ms per input\n")
    print("| input | bytes | median ms | slowest ms | slowest CPU ms | outcome |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    worst, worst_name, crashes = 0.0, "", 0
    for name, text in corpus(size).items():
        walls, cpus, outcome = measure(text, runs)
        crashes += outcome.startswith("CRASH")
        shown = outcome.replace("|", "\\|")
        print(
            f"| {name} | {len(text.encode()):,} | {statistics.median(walls):.1f} |"
            f" {max(walls):.1f} | {max(cpus):.1f} | {shown} |"
        )
        if max(walls) > worst:
            worst, worst_name = max(walls), name
    verdict = "met" if worst <= GOAL_MS else "MISSED"
    print(f"\nworst case: {worst:.1f} ms ({worst_name}); goal ≤ {GOAL_MS:.0f} ms: {verdict}")
    print(f"crashes: {crashes}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
