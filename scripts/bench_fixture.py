#!/usr/bin/env python3
"""What a test pays for a request through the ``apig`` fixture, against calling the handler directly.

    .venv/bin/python scripts/bench_fixture.py [--tests 300] [--rounds 3]

It writes a small project (one proxy function) and two generated pytest suites of ``--tests`` tests
each: one sends ``GET /Prod/items/{n}`` through the ``apig`` fixture and checks the answer, the other
calls the same handler directly with a minimal event, as a unit test would. Both suites run in fresh
``pytest`` processes, in turns (``--rounds`` of each, interleaved, so the machine's load falls on both
alike). Figures, each the median over the rounds:

- **per test, pytest's durations**: setup + call + teardown of each test, from pytest's own reports,
  the median test (the first test's one-off set-up, the config loaded and the event loop started, is
  shown apart);
- **per test, wall**: (the ``apig`` suite's wall time - the direct suite's) / tests + the direct
  suite's per-test duration, wall time from the end of collection to the end of the session: what a
  suite of that size pays, pytest's start-up and the plugins' imports left out;
- **CPU per test and context switches per test**: the pytest process's CPU time (every thread) and
  its threads' context switches over the suite, divided by the tests: what the fixture costs the
  machine and how often it hands over between threads, each of which waits for the scheduler on a
  busy machine; the steadiest figures when the machine is shared;
- **a fixture cycle without pytest**: what the ``apig`` fixture does for a test (a harness on the
  session's event loop, one request, the teardown), ``--cycles`` times in one process: wall, CPU and
  context switches per cycle, without pytest's own per-test work around it;
- **per request**: the same request sent three times ``--tests`` times in one test, for the request
  alone.

The machine is shared: only the ratio between the suites, measured in one run, means anything.
``--against FOLDER`` runs the ``apig`` suites on another ``emulator`` package too, in turns with this
code's (``git archive i17-next emulator | tar -x -C FOLDER``), and prints this code's figures over
that one's, round by round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

CONFIG = """
apis:
  shop: {}
functions:
  items:
    handler: items.handler
    triggers:
      - {api: shop, resource: '/items/{id}', method: GET, proxy: true}
"""

HANDLER = """
import json


def handler(event, context):
    item = event["pathParameters"]["id"]
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"id": item})}
"""

APIG_TEST = """
def test_item_{n}(apig):
    response = apig.get("/Prod/items/{n}")
    assert response.status_code == 200
    assert response.json() == {{"id": "{n}"}}
"""

DIRECT_TEST = """
def test_item_{n}():
    response = handler({{"pathParameters": {{"id": "{n}"}}, "httpMethod": "GET"}}, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {{"id": "{n}"}}
"""

REQUESTS_TEST = """
import time


def test_requests(apig):
    apig.get("/Prod/items/0")
    started = time.perf_counter()
    for n in range({count}):
        assert apig.get(f"/Prod/items/{{n}}").status_code == 200
    print("PER_REQUEST_US", (time.perf_counter() - started) / {count} * 1e6)
"""

#: The fixture's life cycle without pytest: per cycle, what the ``apig`` fixture does for one test (a
#: harness on the session's event loop, a request, its teardown); wall, CPU and context switches.
CYCLES = """
import glob, json, os, sys, time
from anyio.from_thread import start_blocking_portal
from emulator.config import load_definitions
from emulator.runtime.isolation import create_invoker
from emulator.testing import Harness

def switches():
    total = 0
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/status"):
        try:
            with open(path) as status:
                total += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
        except OSError:
            pass
    return total

definitions = load_definitions("config/apig.yaml", code_dir=".")
count = int(sys.argv[1])
with start_blocking_portal() as portal:
    def cycle():
        with Harness(definitions, invoker=create_invoker("thread"), portal=portal) as apig:
            assert apig.get("/Prod/items/1").status_code == 200
    for _ in range(20):
        cycle()
    wall, cpu, switched = time.perf_counter(), time.process_time(), switches()
    for _ in range(count):
        cycle()
    print(json.dumps({"wall": (time.perf_counter() - wall) / count, "cpu": (time.process_time() - cpu) / count,
                      "switches": (switches() - switched) / count}))
"""

#: A plugin that writes each test's phase durations, from pytest's own reports, to a JSON file.
DURATIONS_PLUGIN = """
import glob
import json
import os
import time

_durations = {}
_started = []


def _switches():
    # Every thread's context switches: each wake-up of one thread by another is one at least.
    total = 0
    for path in glob.glob(f"/proc/{os.getpid()}/task/*/status"):
        try:
            with open(path) as status:
                total += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
        except OSError:
            pass
    return total


def pytest_collection_finish(session):
    _started.extend((time.perf_counter(), time.process_time(), _switches()))


def pytest_runtest_logreport(report):
    _durations.setdefault(report.nodeid, {})[report.when] = report.duration


def pytest_sessionfinish(session):
    wall, cpu, switches = _started
    finished = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                "switches": _switches() - switches, "tests": _durations}
    with open(os.environ["BENCH_DURATIONS"], "w") as out:
        json.dump(finished, out)
"""


def write_project(folder: Path, tests: int) -> None:
    (folder / "config").mkdir()
    (folder / "config" / "apig.yaml").write_text(textwrap.dedent(CONFIG))
    (folder / "items.py").write_text(textwrap.dedent(HANDLER))
    (folder / "durations_plugin.py").write_text(textwrap.dedent(DURATIONS_PLUGIN))
    (folder / "cycles.py").write_text(CYCLES)
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "suite_apig").mkdir()
    (folder / "suite_apig" / "test_apig.py").write_text(
        "".join(textwrap.dedent(APIG_TEST).format(n=n) for n in range(tests))
    )
    (folder / "suite_direct").mkdir()
    (folder / "suite_direct" / "test_direct.py").write_text(
        "import json\n\nfrom items import handler\n"
        + "".join(textwrap.dedent(DIRECT_TEST).format(n=n) for n in range(tests))
    )
    (folder / "suite_requests").mkdir()
    (folder / "suite_requests" / "test_requests.py").write_text(
        textwrap.dedent(REQUESTS_TEST).format(count=tests * 3)
    )


def run_suite(folder: Path, suite: str, code: Path | None) -> tuple[dict[str, Any], str]:
    """Wall and CPU time and context switches from collected to finished (pytest's start-up left out),
    each test's durations (``tests``), and the output.

    ``code``: a folder holding another ``emulator`` package, imported (plugin included) instead of this one.
    """
    durations_file = folder / f"{suite}.json"
    path = [str(folder)] if code is None else [str(code), str(folder)]
    env = {**os.environ, "BENCH_DURATIONS": str(durations_file), "PYTHONPATH": os.pathsep.join(path)}
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "durations_plugin"]
    completed = subprocess.run([*command, suite], cwd=folder, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        sys.exit(f"{suite} failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(durations_file.read_text()), completed.stdout


def run_cycles(folder: Path, count: int, code: Path | None) -> dict[str, float]:
    path = [str(folder)] if code is None else [str(code), str(folder)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    command = [sys.executable, "cycles.py", str(count)]
    completed = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(completed.stdout)
    return figures


def totals(durations: dict[str, dict[str, float]]) -> list[float]:
    """Each test's setup + call + teardown, in the order they ran."""
    return [sum(phases.values()) for phases in durations.values()]


class Figures:
    """One variant's figures, a value per round."""

    def __init__(self) -> None:
        self.median: list[float] = []
        self.mean: list[float] = []
        self.first: list[float] = []
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.switches: list[float] = []
        self.request: list[float] = []
        self.cycle: dict[str, list[float]] = {"wall": [], "cpu": [], "switches": []}

    def add_suite(self, run: dict[str, Any], tests: int) -> None:
        each = totals(run["tests"])
        self.wall.append(run["wall"])
        self.cpu.append(run["cpu"] / tests)
        self.switches.append(run["switches"] / tests)
        self.first.append(each[0])
        self.median.append(statistics.median(each[1:]))
        self.mean.append(sum(each) / len(each))


def ms(values: list[float], scale: float = 1000) -> str:
    return f"{statistics.median(values) * scale:.3f} ms ({' '.join(f'{v * scale:.2f}' for v in values)})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cycles", type=int, default=300, help="fixture life cycles timed without pytest")
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        metavar="FOLDER",
        help="also run the apig suites on the emulator package in FOLDER (e.g. `git archive BASE emulator` "
        "unpacked there), in turns with this code's",
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    variants: dict[str, Path | None] = {"this code": None}
    if args.against is not None:
        variants[f"code in {args.against}"] = args.against.resolve()
    figures = {name: Figures() for name in variants}
    direct = Figures()
    with tempfile.TemporaryDirectory(prefix="apig-bench-fixture-") as name:
        folder = Path(name)
        write_project(folder, args.tests)
        for _ in range(args.rounds):
            run, _ = run_suite(folder, "suite_direct", None)
            direct.add_suite(run, args.tests)
            for variant, code in variants.items():
                run, _ = run_suite(folder, "suite_apig", code)
                figures[variant].add_suite(run, args.tests)
                _, output = run_suite(folder, "suite_requests", code)
                for key, value in run_cycles(folder, args.cycles, code).items():
                    figures[variant].cycle[key].append(value)
                figures[variant].request.append(float(output.split("PER_REQUEST_US", 1)[1].split()[0]) / 1e6)
    print(f"{args.tests} tests a suite, {args.rounds} rounds: median (each round)")
    print(
        f"direct: per test, median {ms(direct.median)}; mean {ms(direct.mean)}; wall {ms(direct.wall, 1)[:-3]}"
    )
    direct_mean = statistics.median(direct.mean)
    for variant, got in figures.items():
        by_wall = [
            (apig - bare) / args.tests + direct_mean for apig, bare in zip(got.wall, direct.wall, strict=True)
        ]
        print(f"apig, {variant}:")
        print(f"  per test, pytest's durations, median test: {ms(got.median)}")
        print(f"  per test, pytest's durations, mean (first included): {ms(got.mean)}")
        print(
            f"  per test, wall: (apig suite - direct suite) / {args.tests} + direct per test: {ms(by_wall)}"
        )
        print(f"  CPU per test, all threads, whole suite / {args.tests}: {ms(got.cpu)}")
        print(
            f"  context switches per test, all threads: {statistics.median(got.switches):.1f} "
            f"({' '.join(f'{v:.1f}' for v in got.switches)})"
        )
        print(f"  the first test (config loaded, event loop started): {ms(got.first)}")
        print(f"  per request, {args.tests * 3} in one test: {ms(got.request)}")
        print(
            f"  a fixture cycle without pytest (harness, request, teardown), {args.cycles} a round: "
            f"wall {ms(got.cycle['wall'])}, CPU {ms(got.cycle['cpu'])}, context switches "
            f"{statistics.median(got.cycle['switches']):.1f}"
        )
        ratio = [apig / bare for apig, bare in zip(got.median, direct.median, strict=True)]
        print(f"  median test vs the direct suite's, same round: {statistics.median(ratio):.1f}x")
    if args.against is not None:
        this, other = figures.values()
        fields = (
            ("median test", "median"),
            ("CPU per test", "cpu"),
            ("switches", "switches"),
            ("per request", "request"),
        )
        for label, field in fields:
            ratios = [a / b for a, b in zip(getattr(this, field), getattr(other, field), strict=True)]
            print(
                f"this code / the other, {label}: {statistics.median(ratios):.2f}x "
                f"({' '.join(f'{r:.2f}' for r in ratios)})"
            )
    if args.against is not None:
        for key in ("wall", "cpu", "switches"):
            ratios = [a / b for a, b in zip(this.cycle[key], other.cycle[key], strict=True)]
            print(
                f"this code / the other, fixture cycle {key}: {statistics.median(ratios):.2f}x "
                f"({' '.join(f'{r:.2f}' for r in ratios)})"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
