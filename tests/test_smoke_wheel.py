"""scripts/smoke_wheel.py's own decisions, without a network: CI running it is the test of the wheel.

What is checked here is that it finds the README's project, finds interpreters (and says which it
skips), and fails loudly when it cannot do its job.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_smoke_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("apig_emu_smoke_wheel", ROOT / "scripts" / "smoke_wheel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


smoke = load_smoke_script()


def test_the_readme_shows_a_whole_project() -> None:
    files = smoke.project_files((ROOT / "README.md").read_text())
    assert set(files) == {"config/apig.yaml", "greet.py", "tests/test_greet.py"}
    assert "handler: greet.handler" in files["config/apig.yaml"]


def test_the_project_is_written_file_for_file(tmp_path: Path) -> None:
    files = smoke.project_files((ROOT / "README.md").read_text())
    assert smoke.write_project(tmp_path, files) == 2
    assert (tmp_path / "tests" / "test_greet.py").read_text() == files["tests/test_greet.py"]


def test_a_readme_without_the_section_is_a_failure() -> None:
    with pytest.raises(smoke.Failure, match="has no section '## Use apig-emu in your own project'"):
        smoke.project_files("# apig-emu\n\n## Set up\n")


def test_a_section_without_a_test_file_is_a_failure() -> None:
    readme = f"{smoke.PROJECT_SECTION}\n\n```yaml\n# config/apig.yaml\napis: {{}}\n```\n\n## Next\n"
    with pytest.raises(smoke.Failure, match=r"must show config/apig.yaml and a tests/test_\*.py"):
        smoke.project_files(readme)


def fake_python(path: Path, answer: str, code: int = 0) -> Path:
    path.parent.mkdir(parents=True)
    path.write_text(f"#!/bin/sh\necho '{answer}'\nexit {code}\n")
    path.chmod(0o755)
    return path


def test_interpreters_one_per_version_and_a_notice_for_each_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyenv = tmp_path / "pyenv"
    fake_python(pyenv / "versions" / "3.12.9" / "bin" / "python", "3.12 3.12.9")
    fake_python(pyenv / "versions" / "3.9.1" / "bin" / "python", "3.9 3.9.1")  # not supported
    fake_python(pyenv / "versions" / "3.13.1" / "bin" / "python", "pyenv: not active", code=127)  # a shim
    monkeypatch.setenv("PYENV_ROOT", str(pyenv))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    own = fake_python(tmp_path / "own" / "python", "3.11 3.11.4")
    monkeypatch.setattr(smoke.sys, "executable", str(own))
    report = smoke.Report("test")
    ran, skipped = smoke.interpreters(None, report)
    assert [(i.version, i.full_version, i.path) for i in ran] == [
        ("3.11", "3.11.4", own),
        ("3.12", "3.12.9", pyenv / "versions" / "3.12.9" / "bin" / "python"),
    ]
    assert [notice.split(":")[0] for notice in skipped] == ["Python 3.10", "Python 3.13"]
    assert report.failures == []


@pytest.fixture
def work_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A failed run keeps its work folder; here it is kept under the test's own folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr(smoke.tempfile, "tempdir", str(work))
    return work


def test_without_distributions_it_fails_and_says_why(
    tmp_path: Path, work_in: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    assert smoke.main(["--dist", str(dist)]) == 1
    said = capsys.readouterr().out
    assert "FAIL  sdist and wheel" in said
    assert f"expected one apig_emu wheel and one sdist in {dist}, found: none" in said
    assert "FAILED, 1 check(s)" in said


def test_an_interpreter_that_does_not_run_fails(
    tmp_path: Path, work_in: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "apig_emu-0.1.0-py3-none-any.whl").touch()
    (dist / "apig_emu-0.1.0.tar.gz").touch()
    monkeypatch.setattr(smoke, "check_dists", lambda wheel, sdist: "stand-ins")
    assert smoke.main(["--dist", str(dist), "--python", str(tmp_path / "nope")]) == 1
    said = capsys.readouterr().out
    assert f"FAIL  --python {tmp_path / 'nope'}" in said
    assert "FAILED, 1 check(s)" in said
    assert "FAILED: no interpreter ran" not in said
