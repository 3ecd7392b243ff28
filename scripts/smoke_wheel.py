#!/usr/bin/env python3
"""Build the sdist and wheel, install the wheel into fresh venvs, and use it as a new user would.

    .venv/bin/python scripts/smoke_wheel.py                   # every Python 3.10-3.13 this machine has
    .venv/bin/python scripts/smoke_wheel.py --python python3.12 --dist dist/

The tests run against the checkout; this runs against what users install. For each interpreter it
creates a venv outside the checkout, installs the wheel and pytest (nothing else: the runtime
dependencies come from the wheel's metadata), then:

- serves a copy of the bundled example (config/ and handlers_example/) on a free port, makes
  requests through a proxy and a non-proxy integration, and runs ``apig-emu validate`` on it;
- builds the small project of the README's "Use apig-emu in your own project" section, file for
  file as the README shows it, then runs ``apig-emu validate`` and its pytest tests there.

Interpreters are looked for in pyenv's versions folder and as python3.10 ... python3.13 on PATH (a
pyenv shim that cannot run is no interpreter); a version not found is skipped with a notice. Exit 1
when any check failed, each failure printed with what was expected and what happened; the work
folder of a failed run is kept for a look. Needs ``build`` (the test extra) and pip's registry.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
#: The README section whose code blocks are the user project, one file per block headed ``# <path>``.
PROJECT_SECTION = "## Use apig-emu in your own project"
#: Test tools that must not come with the wheel (its runtime dependencies are the runtime's imports).
TEST_TOOLS = ("mypy", "ruff", "playwright", "hypothesis", "requests", "build")
#: Files the sdist must carry beyond the package: a source tree a developer can test.
SDIST_FILES = (
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "config/apig.yaml",
    "handlers_example/items.py",
    "tests/conftest.py",
    "scripts/dev.py",
)
SERVE_TIMEOUT = 60.0
STEP_TIMEOUT = 600.0


class Failure(Exception):
    """A check that did not hold; the message says what was expected and what happened."""


@dataclass
class Interpreter:
    version: str  # major.minor
    full_version: str
    path: Path


@dataclass
class Report:
    """The checks of one part of the run; printed as a block, since interpreters run side by side."""

    title: str
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, name: str, action: Callable[[], str]) -> bool:
        """Run one check and note its outcome; a failure keeps its reason."""
        started = time.monotonic()
        try:
            detail = action()
        except Failure as failure:
            self.fail(name, str(failure))
            return False
        self.lines.append(f"  ok    {name}: {detail} ({time.monotonic() - started:.1f} s)")
        return True

    def fail(self, name: str, reason: str) -> None:
        self.failures.append(f"{self.title}: {name}: {reason.splitlines()[0]}")
        self.lines.append(f"  FAIL  {name}\n{_indent(reason, 8)}")

    def show(self) -> None:
        print("\n".join([f"== {self.title}", *self.lines]), flush=True)


def _indent(text: str, width: int) -> str:
    return "\n".join(" " * width + line for line in text.rstrip().splitlines())


def _tail(text: str, lines: int = 30) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(no output)"


def run(command: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to its end; its output, or a ``Failure`` with the command, exit code and output."""
    shown = " ".join(str(part) for part in command)
    try:
        done = subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=STEP_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise Failure(f"`{shown}` did not finish in {STEP_TIMEOUT:.0f} s") from exc
    except OSError as exc:
        raise Failure(f"`{shown}` could not start: {exc}") from exc
    if done.returncode != 0:
        raise Failure(f"`{shown}` (in {cwd}) exited with {done.returncode}:\n{_tail(done.stdout)}")
    return done.stdout


# --- the distributions ---------------------------------------------------------------------------


def build(outdir: Path) -> tuple[Path, Path]:
    """``python -m build``: the sdist, then the wheel built from the unpacked sdist (so both are checked)."""
    run([sys.executable, "-m", "build", "--outdir", outdir, ROOT], cwd=ROOT)
    return find_dists(outdir)


def find_dists(folder: Path) -> tuple[Path, Path]:
    wheels = sorted(folder.glob("apig_emu-*-py3-none-any.whl"))
    sdists = sorted(folder.glob("apig_emu-*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        found = ", ".join(path.name for path in sorted(folder.glob("apig_emu-*"))) or "none"
        raise Failure(f"expected one apig_emu wheel and one sdist in {folder}, found: {found}")
    return wheels[0], sdists[0]


def check_dists(wheel: Path, sdist: Path) -> str:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    dist_info = wheel.name.split("-py3")[0] + ".dist-info"
    wanted = {"emulator/py.typed", "emulator/inspector/index.html", f"{dist_info}/licenses/LICENSE"}
    if missing := sorted(wanted - names):
        raise Failure(f"the wheel lacks {', '.join(missing)}")
    if strays := sorted(
        name for name in names if name.split("/")[0] in ("tests", "handlers_example", "scripts")
    ):
        raise Failure(f"the wheel carries files that are not the package's: {', '.join(strays[:5])}")
    with tarfile.open(sdist) as archive:
        inside = {name.partition("/")[2] for name in archive.getnames()}
    if missing := sorted(set(SDIST_FILES) - inside):
        raise Failure(f"the sdist lacks {', '.join(missing)}")
    return f"{wheel.name} ({len(names)} files), {sdist.name} ({len(inside)} files)"


# --- interpreters --------------------------------------------------------------------------------


def candidates() -> Iterator[Path]:
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    yield from sorted(pyenv_root.glob("versions/*/bin/python"))
    for version in SUPPORTED:
        found = shutil.which(f"python{version}")
        if found:
            yield Path(found)
    yield Path(sys.executable)


def probe(path: Path) -> Interpreter | None:
    """The interpreter at ``path`` if it runs (a pyenv shim of an inactive version does not)."""
    try:
        done = subprocess.run(
            [str(path), "-c", "import sys; print('%d.%d' % sys.version_info[:2], sys.version.split()[0])"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 or len(done.stdout.split()) != 2:
        return None
    version, full_version = done.stdout.split()
    return Interpreter(version, full_version, path)


def find_interpreters(paths: list[Path]) -> dict[str, Interpreter]:
    """One interpreter per supported version: the first of the candidates that runs."""
    found: dict[str, Interpreter] = {}
    for path in paths:
        interpreter = probe(path)
        if interpreter is not None and interpreter.version in SUPPORTED:
            found.setdefault(interpreter.version, interpreter)
    return found


# --- the user project of the README --------------------------------------------------------------


def project_files(readme: str) -> dict[str, str]:
    """The files of the README's own-project section: each code block whose first line is ``# <path>``."""
    heading = re.search(rf"^{re.escape(PROJECT_SECTION)}$", readme, re.MULTILINE)
    if heading is None:
        raise Failure(f"README.md has no section {PROJECT_SECTION!r}")
    end = re.compile(r"^## ", re.MULTILINE).search(readme, heading.end())
    section = readme[heading.end() : end.start() if end else len(readme)]
    files: dict[str, str] = {}
    for block in re.finditer(r"^```[a-z]*\n(.*?)^```", section, re.MULTILINE | re.DOTALL):
        first_line = block.group(1).partition("\n")[0].strip()
        named = re.fullmatch(r"# ([\w./-]+\.(?:py|ya?ml))", first_line)
        if named:
            files[named.group(1)] = block.group(1)
    if "config/apig.yaml" not in files or not any(re.fullmatch(r"tests/test_\w+\.py", f) for f in files):
        raise Failure(
            f"README.md's {PROJECT_SECTION!r} must show config/apig.yaml and a tests/test_*.py, "
            f"each as a code block whose first line is `# <path>`; found: {', '.join(files) or 'none'}"
        )
    return files


def write_project(folder: Path, files: dict[str, str]) -> int:
    """Write the project; the number of test functions its tests define."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return sum(
        len(re.findall(r"^def test_", text, re.MULTILINE))
        for name, text in files.items()
        if name.startswith("tests/")
    )


# --- one venv ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
        return port


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Venv:
    def __init__(self, folder: Path, interpreter: Interpreter) -> None:
        self.folder = folder
        self.interpreter = interpreter
        self.bin = folder / "bin"
        # As if activated, and nothing of the checkout or of the caller's venv leaks in.
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
        }
        self.env["PATH"] = f"{self.bin}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["VIRTUAL_ENV"] = str(folder)

    def create_and_install(self, wheel: Path) -> str:
        run([self.interpreter.path, "-m", "venv", self.folder], cwd=self.folder.parent)
        # --no-compile: byte-compiling every dependency up front doubled the install's time here;
        # the few modules the checks import are compiled when imported.
        pip: list[str | Path] = [
            self.bin / "python",
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ]
        run([*pip, "--no-compile", wheel, "pytest"], cwd=self.folder.parent, env=self.env)
        return f"{wheel.name} and pytest"

    def check_installed(self, version: str) -> str:
        script = (
            "import emulator, json, importlib.metadata as m\n"
            "present = []\n"
            f"for name in {TEST_TOOLS!r}:\n"
            "    try:\n        m.distribution(name)\n    except m.PackageNotFoundError:\n        continue\n"
            "    present.append(name)\n"
            "print(json.dumps([emulator.__file__, m.version('apig-emu'), present]))\n"
        )
        where, installed, tools = json.loads(
            run([self.bin / "python", "-c", script], cwd=self.folder, env=self.env)
        )
        if not Path(where).is_relative_to(self.folder):
            raise Failure(f"emulator was imported from {where}, not from the venv {self.folder}")
        if installed != version:
            raise Failure(f"apig-emu {installed} is installed, the wheel is {version}")
        if tools:
            raise Failure(f"the wheel brought test tools along: {', '.join(tools)}")
        return f"apig-emu {installed} from site-packages, no test tools"

    def validate(self, project: Path, *options: str) -> str:
        said = run([self.bin / "apig-emu", "validate", *options], cwd=project, env=self.env).strip()
        if "no errors" not in said:
            raise Failure(f"`apig-emu validate` exited 0 but did not say 'no errors':\n{said}")
        return said.splitlines()[-1]

    def serve_example(self, example: Path) -> str:
        port = free_port()
        log_path = example / "serve.log"
        command = [str(self.bin / "apig-emu"), "serve", "--config", "config/apig.yaml", "--port", str(port)]
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                command,
                cwd=example,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            answers = self._example_answers(server, base)
        except Failure as failure:
            raise Failure(
                f"{failure}\n`{' '.join(command)}` logged:\n{_tail(log_path.read_text())}"
            ) from None
        finally:
            _stop(server)
        return answers

    def _example_answers(self, server: subprocess.Popen[bytes], base: str) -> str:
        deadline = time.monotonic() + SERVE_TIMEOUT
        while True:
            if server.poll() is not None:
                raise Failure(f"the server exited with {server.returncode} before answering")
            try:
                status, body = http("GET", f"{base}/Prod/items/1")
                break
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise Failure(f"no answer from {base} within {SERVE_TIMEOUT:.0f} s: {exc}") from exc
                time.sleep(0.2)
        expected: object = {"id": "1", "name": "teapot", "price": 418}
        if status != 200 or _json(body) != expected:
            raise Failure(f"GET /Prod/items/1: expected 200 {expected}, got {status} {body[:300]!r}")
        status, body = http("POST", f"{base}/Prod/smartpath", b'{"name": "Ann"}')
        answer = _json(body)
        greeting = answer.get("greeting") if isinstance(answer, dict) else None
        if status != 200 or greeting != "Hello, Ann!":
            raise Failure(
                f"POST /Prod/smartpath: expected 200 with 'Hello, Ann!', got {status} {body[:300]!r}"
            )
        return "GET /Prod/items/1 -> 200 teapot, POST /Prod/smartpath -> 200 Hello, Ann!"

    def pytest(self, project: Path, tests: int) -> str:
        said = run(
            [self.bin / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=project, env=self.env
        )
        summary = said.strip().splitlines()[-1] if said.strip() else ""
        if not re.match(rf"{tests} passed\b", summary) or re.search(r"failed|error|skipped", summary):
            raise Failure(f"expected all {tests} of the README's tests to pass, pytest said:\n{_tail(said)}")
        return summary


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Ctrl-C, as a user stops it; killed if it does not stop in time (this is not the shutdown test)."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def smoke(interpreter: Interpreter, wheel: Path, home: Path) -> Report:
    """Every check under one interpreter, in a venv of its own under ``home``."""
    report = Report(f"Python {interpreter.full_version} ({interpreter.path})")
    home.mkdir()
    venv = Venv(home / "venv", interpreter)
    if not report.check(
        "fresh venv, pip install the wheel and pytest", lambda: venv.create_and_install(wheel)
    ):
        return report
    version = wheel.name.split("-")[1]
    report.check("installed from the wheel", lambda: venv.check_installed(version))
    example = home / "example"
    shutil.copytree(ROOT / "config", example / "config")
    shutil.copytree(
        ROOT / "handlers_example", example / "handlers_example", ignore=shutil.ignore_patterns("__pycache__")
    )
    report.check("example: apig-emu serve", lambda: venv.serve_example(example))
    report.check("example: apig-emu validate", lambda: venv.validate(example, "--config", "config/apig.yaml"))
    project = home / "my-api"
    project.mkdir()
    tests = 0

    def write() -> str:
        nonlocal tests
        files = project_files((ROOT / "README.md").read_text())
        tests = write_project(project, files)
        return ", ".join(files)

    if report.check("README project: written", write):
        report.check("README project: apig-emu validate", lambda: venv.validate(project))
        report.check("README project: pytest", lambda: venv.pytest(project, tests))
    return report


def interpreters(paths: list[Path] | None, report: Report) -> tuple[list[Interpreter], list[str]]:
    """The interpreters to test with, and a notice for each supported version not found."""
    if paths:
        chosen = []
        for path in paths:
            interpreter = probe(path)
            if interpreter is None:
                report.fail(f"--python {path}", "it does not run")
            else:
                chosen.append(interpreter)
        return chosen, []
    by_version = find_interpreters(list(candidates()))
    skipped = [
        f"Python {version}: not found (looked in pyenv's versions folder and for python{version} on PATH)"
        for version in SUPPORTED
        if version not in by_version
    ]
    return [by_version[version] for version in SUPPORTED if version in by_version], skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--python",
        action="append",
        type=Path,
        metavar="PATH",
        help="an interpreter to test with (repeatable; default: each of 3.10-3.13 found)",
    )
    parser.add_argument(
        "--dist", type=Path, metavar="DIR", help="test the wheel and sdist in DIR instead of building them"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="interpreters tested at once (default 2: pip mostly waits)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="apig-emu-smoke-"))
    setup = Report("the distributions")
    dists: list[Path] = []

    def get_dists() -> str:
        dists.extend(find_dists(args.dist) if args.dist else build(work / "dist"))
        return check_dists(dists[0], dists[1])

    ran: list[Interpreter] = []
    skipped: list[str] = []
    reports = [setup]
    if setup.check("sdist and wheel" + ("" if args.dist else " (python -m build)"), get_dists):
        ran, skipped = interpreters(args.python, setup)
    setup.show()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        homes = [work / f"python-{n}" for n in range(len(ran))]
        for report in pool.map(smoke, ran, [dists[0]] * len(ran) if ran else [], homes):
            report.show()
            reports.append(report)
    print(f"\nwheel smoke test, {time.monotonic() - started:.0f} s", flush=True)
    for interpreter in ran:
        print(f"ran     Python {interpreter.full_version} ({interpreter.path})")
    for notice in skipped:
        print(f"skipped {notice}")
    failures = [failure for report in reports for failure in report.failures]
    if failures or not ran:
        print(f"FAILED, {len(failures)} check(s):" if failures else "FAILED: no interpreter ran")
        print("\n".join(f"  {failure}" for failure in failures))
        print(f"(the work folder is kept for a look: {work})")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
