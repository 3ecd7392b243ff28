#!/usr/bin/env python3
"""Side-by-side benchmark: a bare Starlette app against apig-emu, under identical server settings.

    python3 scripts/bench.py [--duration 5] [--rounds 3] [--connections 16] [--json results.json]

Every server is one uvicorn process with uvloop and httptools and no access log; the load comes from
``wrk`` (Debian's package: ``apt-get install wrk``), one thread, a fixed number of connections. All
servers start first, each is warmed up, then the rounds interleave the variants so that drift on a
shared machine hits them alike; the table shows each variant's median over the rounds and its ratio
to the baseline of the same run. It also measures the time from ``apig-emu serve`` to the first
answered request with 10 and 1,000 routes, and the gateway process's idle memory with 1,000 routes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "scripts" / "bench_app"
MIX_LUA = """
local paths = {
  {"GET", "/Prod/bench", nil, nil},
  {"POST", "/Prod/custom", '{"a": 1}', "application/json"},
  {"OPTIONS", "/Prod/custom", nil, nil},
  {"GET", "/Prod/missing/route", nil, nil},
}
local i = 0
request = function()
  i = i % #paths + 1
  local p = paths[i]
  local headers = {}
  if p[4] then headers["Content-Type"] = p[4] end
  if p[1] == "OPTIONS" then
    headers["Origin"] = "http://localhost:8080"
    headers["Access-Control-Request-Method"] = "POST"
  end
  return wrk.format(p[1], p[2], headers, p[3])
end
"""


@dataclass
class Figures:
    variant: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    ratio: float | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, resources: int) -> Path:
    """An API with ``resources`` literal resources; the benchmarked ones sit among them."""
    lines = [
        "apis:",
        "  bench: {}",
        "functions:",
        "  proxy:",
        "    handler: bench_handlers.proxy",
        "    triggers:",
        "      - {api: bench, resource: /bench, method: GET, proxy: true}",
    ]
    lines += [
        f"      - {{api: bench, resource: /r{i}/item, method: GET, proxy: true}}"
        for i in range(resources - 1)
    ]
    lines += [
        "  custom:",
        "    handler: bench_handlers.custom",
        "    triggers:",
        "      - {api: bench, resource: /custom, method: POST, cors: true}",
    ]
    path = folder / f"bench-{resources}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def apig_command(config: Path, port: int, isolation: str) -> list[str]:
    return [
        sys.executable, "-m", "emulator.cli", "serve",
        "--config", str(config), "--code-dir", str(APP_DIR), "--port", str(port),
        "--isolation", isolation, "--no-reload", "--quiet",
    ]  # fmt: skip


def baseline_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(APP_DIR), "bench_baseline:app",
        "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
        "--log-level", "warning",
    ]  # fmt: skip


def wait_until_answering(url: str, process: subprocess.Popen[bytes], limit: float = 30.0) -> float:
    """Seconds until the first answered request (any HTTP status counts as an answer)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {' '.join(map(str, process.args))}")  # type: ignore[arg-type]
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return time.perf_counter() - started
        except urllib.error.HTTPError:
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"no answer from {url} within {limit} s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_wrk(url: str, *, duration: float, connections: int, script: Path | None = None) -> Figures:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors and script is None:
        raise RuntimeError(f"{url}: {errors.group(1)} non-2xx answers\n{out}")
    return Figures("", rps, percentile("50"), percentile("99"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: install it with `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.")
        return 2

    folder = Path(tempfile.mkdtemp(prefix="apig-bench-"))
    mix_script = folder / "mix.lua"
    mix_script.write_text(MIX_LUA)
    configs = {n: write_config(folder, n) for n in (1, 10, 1000)}
    variants: dict[str, tuple[list[str], str, Path | None]] = {}
    ports = {}
    for name, command_of, script in (
        ("baseline", lambda p: baseline_command(p), None),
        ("thread, 1 resource", lambda p: apig_command(configs[1], p, "thread"), None),
        ("thread, 1000 resources", lambda p: apig_command(configs[1000], p, "thread"), None),
        ("process, 1 resource", lambda p: apig_command(configs[1], p, "process"), None),
        ("process, 1000 resources", lambda p: apig_command(configs[1000], p, "process"), None),
        (
            "thread, mix (proxy, non-proxy, preflight, 403)",
            lambda p: apig_command(configs[1], p, "thread"),
            mix_script,
        ),
        ("thread, mix, 1000 resources", lambda p: apig_command(configs[1000], p, "thread"), mix_script),
    ):
        ports[name] = free_port()
        variants[name] = (command_of(ports[name]), f"http://127.0.0.1:{ports[name]}/Prod/bench", script)

    processes: list[subprocess.Popen[bytes]] = []
    results: dict[str, list[Figures]] = {name: [] for name in variants}
    startup: dict[str, float] = {}
    idle_rss: float | None = None
    try:
        for routes in (10, 1000):
            port = free_port()
            process = subprocess.Popen(
                apig_command(configs[routes], port, "process"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            startup[f"{routes} routes"] = wait_until_answering(f"http://127.0.0.1:{port}/Prod/bench", process)
            if routes == 1000:
                time.sleep(1.0)
                idle_rss = rss_mb(process.pid)
            process.terminate()
            process.wait(timeout=20)

        for command, url, _ in variants.values():
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            processes.append(process)
            wait_until_answering(url, process)
        for _, url, script in variants.values():
            run_wrk(url, duration=min(2.0, args.duration), connections=args.connections, script=script)
        for _ in range(args.rounds):
            for name, (_, url, script) in variants.items():
                results[name].append(
                    run_wrk(url, duration=args.duration, connections=args.connections, script=script)
                )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)

    table = []
    for name, runs in results.items():
        table.append(
            Figures(
                name,
                statistics.median(r.requests_per_s for r in runs),
                statistics.median(r.p50_ms for r in runs),
                statistics.median(r.p99_ms for r in runs),
            )
        )
    base = table[0]
    for row in table:
        row.ratio = row.requests_per_s / base.requests_per_s
    by_name = {row.variant: row for row in table}

    print(
        f"\n{os.cpu_count()} CPUs, {args.connections} connections, {args.rounds} rounds of {args.duration:g} s, wrk -t1"
    )
    print(f"{'variant':50} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x baseline':>11}")
    for row in table:
        print(
            f"{row.variant:50} {row.requests_per_s:9.0f} {row.p50_ms:8.2f} {row.p99_ms:8.2f} {row.ratio:11.2f}"
        )
    scale_thread = (
        by_name["thread, 1000 resources"].requests_per_s / by_name["thread, 1 resource"].requests_per_s
    )
    scale_process = (
        by_name["process, 1000 resources"].requests_per_s / by_name["process, 1 resource"].requests_per_s
    )
    added_p99 = by_name["thread, 1 resource"].p99_ms - base.p99_ms
    print(f"\n1000 vs 1 resource: thread {scale_thread:.2f}x, process {scale_process:.2f}x")
    print(f"p99 added by thread mode: {added_p99:+.2f} ms")
    for label, seconds in startup.items():
        print(f"first answered request after start, {label}: {seconds:.2f} s")
    print(f"gateway RSS at idle, 1000 routes: {idle_rss:.1f} MB")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "connections": args.connections,
                    "rounds": args.rounds,
                    "duration_s": args.duration,
                    "variants": [asdict(row) for row in table],
                    "scale_1000_vs_1": {"thread": scale_thread, "process": scale_process},
                    "p99_added_thread_ms": added_p99,
                    "startup_s": startup,
                    "idle_rss_mb_1000_routes": idle_rss,
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
