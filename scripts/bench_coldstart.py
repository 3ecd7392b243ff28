#!/usr/bin/env python3
"""A worker's cold start and an idle worker's memory, against a bare interpreter in the same run.

    .venv/bin/python scripts/bench_coldstart.py [--rounds 20]

Process isolation starts one worker process per execution environment. This measures, in rounds
that alternate so that the machine's load falls on both alike:

- **cold start**: from ``ProcessInvoker.invoke`` on a function that has no worker yet to its answer
  (the spawn, the worker's own imports, the function's description, the handler's import, the call);
- **bare interpreter**: from spawning ``python -c`` to the first byte it writes on a pipe, the floor
  that any spawned environment pays;
- **CPU to idle**: the CPU time each process used from its start until it sat idle, from
  ``/proc/PID/schedstat`` (nanoseconds on the CPU): on a shared, loaded machine, wall-clock times swing
  with what else runs, where the CPU a start needs hardly does;
- **idle memory**: USS (pages no other process shares) and PSS of the idle workers and of idle bare
  interpreters, from ``/proc/PID/smaps_rollup`` (Linux).

The "worker's own" figures are the worker's minus the bare interpreter's: what apig-emu adds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from emulator.model import Function
from emulator.runtime.process import ProcessInvoker

HANDLER = """
def handler(event, context):
    return {"statusCode": 200, "body": "hello"}
"""

#: Writes a byte as soon as it runs, then waits for its stdin to close, as an idle worker waits.
BARE = "import os; os.write(1, b'x'); os.read(0, 1)"


def smaps_rollup(pid: int) -> dict[str, int]:
    """USS and PSS in kB (Linux 4.14+)."""
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            name, _, rest = line.partition(":")
            parts = rest.split()
            if parts and parts[-1] == "kB":
                fields[name] = int(parts[0])
    return {
        "uss": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
        "pss": fields.get("Pss", 0),
    }


def cpu_ms(pid: int) -> float:
    """CPU time the process has used so far (Linux's scheduler statistics)."""
    with open(f"/proc/{pid}/schedstat") as schedstat:
        return int(schedstat.read().split()[0]) / 1e6


def bare_start() -> tuple[float, subprocess.Popen[bytes]]:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", BARE], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    process.stdout.read(1)
    return (time.perf_counter() - started) * 1000, process


async def cold_start(invoker: ProcessInvoker, code_dir: Path, index: int) -> tuple[float, float]:
    """Milliseconds to the answer, and the handler's own init duration the worker reported."""
    function = Function(name=f"cold{index}", handler="cold_handler.handler", code_dir=code_dir)
    started = time.perf_counter()
    result = await invoker.invoke(function, {}, trace_id="Root=1-00000000-000000000000000000000000")
    elapsed = (time.perf_counter() - started) * 1000
    assert result.function_error is None, result.payload
    return elapsed, result.init_duration_ms or 0.0


def median(values: list[float]) -> float:
    return statistics.median(values)


async def run(rounds: int, code_dir: Path) -> None:
    invoker = ProcessInvoker(max_workers=rounds + 2, idle_timeout=0)
    bare_ms: list[float] = []
    cold_ms: list[float] = []
    init_ms: list[float] = []
    bare_processes: list[subprocess.Popen[bytes]] = []
    try:
        # Both sides warmed: the gateway's imports and caches, the worker's bytecode written.
        await cold_start(invoker, code_dir, -1)
        await cold_start(invoker, code_dir, -2)
        for index in range(rounds):
            elapsed, process = bare_start()
            bare_ms.append(elapsed)
            bare_processes.append(process)
            elapsed, init = await cold_start(invoker, code_dir, index)
            cold_ms.append(elapsed)
            init_ms.append(init)
        await asyncio.sleep(1.0)  # idle: whatever the first call left to settle has settled
        worker_pids = [pid for index in range(rounds) for pid in invoker.worker_pids(f"cold{index}")]
        workers = [smaps_rollup(pid) for pid in worker_pids]
        bares = [smaps_rollup(process.pid) for process in bare_processes]
        worker_cpu = [cpu_ms(pid) for pid in worker_pids]
        bare_cpu = [cpu_ms(process.pid) for process in bare_processes]
    finally:
        for process in bare_processes:
            process.kill()
            process.wait()
        await invoker.aclose()
    print(
        f"Python {sys.version.split()[0]}, {rounds} rounds, load average {os.getloadavg()[0]:.2f} at the end"
    )
    print(f"{'':<34} {'median':>8} {'min':>8} {'max':>8}")
    rows = (
        ("bare interpreter, spawn to 1st byte", bare_ms),
        ("cold start, invoke to answer", cold_ms),
        ("  of which the handler's import", init_ms),
    )
    for label, values in rows:
        print(f"{label:<34} {median(values):>6.1f}ms {min(values):>6.1f}ms {max(values):>6.1f}ms")
    print(
        f"CPU to idle: worker {median(worker_cpu):.1f} ms, bare interpreter {median(bare_cpu):.1f} ms, "
        f"worker's own {median(worker_cpu) - median(bare_cpu):.1f} ms, "
        f"{median(worker_cpu) / median(bare_cpu):.2f}x the bare interpreter"
    )
    paired = [cold - bare for cold, bare in zip(cold_ms, bare_ms, strict=True)]
    print(
        f"cold start over the bare interpreter: {median(paired):.1f} ms (median of the rounds' differences), "
        f"{median(cold_ms) / median(bare_ms):.2f}x its start"
    )
    for label, key in (("USS", "uss"), ("PSS", "pss")):
        worker = median([figures[key] / 1024 for figures in workers])
        bare = median([figures[key] / 1024 for figures in bares])
        print(
            f"idle {label}: worker {worker:.1f} MB, bare interpreter {bare:.1f} MB, worker's own {worker - bare:.1f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} at the start")
    # Workers keep their compiled bytecode, as an installed package has it (pip compiles it): with
    # PYTHONDONTWRITEBYTECODE set (some sandboxes set it), every worker would compile apig-emu again.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as folder:
        code_dir = Path(folder)
        (code_dir / "cold_handler.py").write_text(HANDLER)
        asyncio.run(run(args.rounds, code_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
