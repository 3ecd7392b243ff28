"""scripts/dev.py's set-up: `serve` installs the runtime alone, the other commands add the test tools.

pip itself is replaced by a recorder: what is checked is which requirement dev.py asks for, when, and
what it tells the user, over a venv directory of its own.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_dev_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("apig_emu_dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeSetUp:
    """dev.py pointed at a checkout and a venv under a temporary folder, with pip recorded."""

    def __init__(self, dev: ModuleType, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.dev = dev
        self.root = root
        self.installs: list[str] = []
        #: The commands dev.py ran or would have become, in order.
        self.commands: list[list[str]] = []
        self.real_pip_install = dev.pip_install
        self.pyproject = root / "pyproject.toml"
        self.pyproject.write_text('[project]\nname = "apig-emu"\n')
        venv = root / ".venv"
        monkeypatch.setattr(dev, "ROOT", root)
        monkeypatch.setattr(dev, "VENV", venv)
        monkeypatch.setattr(dev, "BIN", venv / "bin")
        monkeypatch.setattr(dev, "STAMP", venv / ".apig-emu-installed")
        monkeypatch.setattr(dev.venv, "create", self.create_venv)
        monkeypatch.setattr(dev, "pip_install", self.installs.append)
        monkeypatch.setattr(dev, "run", self.ran)
        monkeypatch.setattr(dev, "become", self.ran)
        monkeypatch.chdir(root)

    def ran(self, command: list[str]) -> int:
        self.commands.append(command)
        return 0

    def create_venv(self, path: Path, *, with_pip: bool) -> None:
        assert with_pip
        (path / "bin").mkdir(parents=True)
        (path / "bin" / "python").touch()

    def command(self, *argv: str) -> list[str]:
        """The requirements pip was asked to install by one dev.py command."""
        before = len(self.installs)
        assert self.dev.main(list(argv)) == 0
        return self.installs[before:]


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSetUp]:
    yield FakeSetUp(load_dev_script(), tmp_path, monkeypatch)


def test_serve_installs_the_runtime_only(setup: FakeSetUp) -> None:
    assert setup.command("serve") == [str(setup.root)]
    assert setup.command("serve") == []


@pytest.mark.parametrize("action", ["test", "check", "bench"])
def test_the_other_commands_install_the_test_extra(setup: FakeSetUp, action: str) -> None:
    assert setup.command(action) == [f"{setup.root}[test]"]
    assert setup.command(action) == []


def test_test_after_serve_adds_the_test_tools_and_serve_after_test_keeps_them(setup: FakeSetUp) -> None:
    assert setup.command("serve") == [str(setup.root)]
    assert setup.command("test") == [f"{setup.root}[test]"]
    assert setup.command("serve") == []
    assert setup.command("check") == []


def test_a_changed_pyproject_reinstalls_what_was_there(setup: FakeSetUp) -> None:
    setup.command("test")
    setup.pyproject.write_text('[project]\nname = "apig-emu"\ndependencies = ["anyio"]\n')
    assert setup.command("serve") == [f"{setup.root}[test]"]


def test_a_touched_but_unchanged_pyproject_does_not_reinstall(setup: FakeSetUp) -> None:
    setup.command("serve")
    setup.pyproject.write_text(setup.pyproject.read_text())
    assert setup.command("serve") == []


def test_a_stamp_from_an_older_dev_script_reinstalls(setup: FakeSetUp) -> None:
    """Older versions touched an empty stamp after installing everything; it says nothing usable."""
    (setup.root / ".venv" / "bin").mkdir(parents=True)
    (setup.root / ".venv" / "bin" / "python").touch()
    (setup.root / ".venv" / ".apig-emu-installed").touch()
    assert setup.command("serve") == [str(setup.root)]
    stamp = json.loads((setup.root / ".venv" / ".apig-emu-installed").read_text())
    assert stamp["extras"] == []


def test_after_installing_it_says_once_how_to_reach_apig_emu(
    setup: FakeSetUp, capsys: pytest.CaptureFixture[str]
) -> None:
    setup.command("serve")
    said = capsys.readouterr().out
    assert "installing apig-emu into" in said
    assert "run .venv/bin/apig-emu, or `. .venv/bin/activate` first" in said
    setup.command("serve")
    assert capsys.readouterr().out == ""


def test_a_failed_install_stops_with_a_message_and_no_stamp(
    setup: FakeSetUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real pip call, through a venv whose python fails as pip does without a network."""
    python = setup.root / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\necho 'ERROR: No matching distribution found' >&2\nexit 3\n")
    python.chmod(0o755)
    monkeypatch.setattr(setup.dev, "pip_install", setup.real_pip_install)
    with pytest.raises(SystemExit, match=r"installing into .* failed \(pip exited with 3\)"):
        setup.dev.main(["serve"])
    assert not (setup.root / ".venv" / ".apig-emu-installed").exists()


def test_an_unknown_command_prints_the_usage(setup: FakeSetUp, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup.dev.main(["srve"]) == 2
    assert "python3 scripts/dev.py serve" in capsys.readouterr().out
    assert setup.installs == []


@pytest.mark.parametrize(
    ("argv", "pytest_args"),
    [
        (["test"], []),
        (["test", "-q"], ["-q"]),  # as CI runs it: everything
        (["test", "--fast"], ["-m", "not slow"]),
        (["test", "-q", "--fast", "tests/test_cors.py"], ["-m", "not slow", "-q", "tests/test_cors.py"]),
        (["test", "--fast", "-m", "not browser", "-x"], ["-m", "not slow and (not browser)", "-x"]),
        (["test", "-mbrowser or cors", "--fast"], ["-m", "not slow and (browser or cors)"]),
        (["test", "-m=browser", "--fast"], ["-m", "not slow and (browser)"]),
        (["test", "-k", "fast"], ["-k", "fast"]),  # only the flag itself is dev.py's
    ],
    ids=["all", "ci", "fast", "fast-with-options", "own-m", "own-m-attached", "own-m-equals", "k-fast"],
)
def test_fast_leaves_the_slow_tests_out_and_keeps_the_users_marker_expression(
    setup: FakeSetUp, argv: list[str], pytest_args: list[str]
) -> None:
    setup.command(*argv)
    assert setup.commands == [[str(setup.root / ".venv" / "bin" / "python"), "-m", "pytest", *pytest_args]]
