"""Handlers that do not load: the same diagnosis in both isolations, and only the user's frames."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import load_definitions
from emulator.validation import COMMAND_LINE, handler_errors

CONFIG = """\
functions:
  ok:
    handler: probe_ok.handler
    environment: {TABLE: orders}
  raises:
    handler: probe_raises.handler
  syntax:
    handler: probe_syntax.handler
  missing:
    handler: probe_nowhere.handler
  dependency:
    handler: probe_dependency.handler
  attribute:
    handler: probe_ok.hadnler
  exits:
    handler: probe_exits.handler
  sibling:
    handler: probe_pkg.app.handler
"""

MODULES = {
    # Reads its function's environment at import, as handlers do for table names.
    "probe_ok.py": "import os\n\nTABLE = os.environ['TABLE']\n\n\ndef handler(event, context):\n    return TABLE\n",
    "probe_raises.py": "import os\n\nTABLE = os.environ['TABLE']\n",
    "probe_syntax.py": "def handler(event, context)\n    return 1\n",
    "probe_dependency.py": "from probe_ok import TABLE\nimport probe_not_installed\n",
    "probe_exits.py": "import os\n\nos._exit(3)\n",
    # Imports its neighbour as if the package's folder were the code root.
    "probe_pkg/__init__.py": "",
    "probe_pkg/app.py": "import probe_helpers\n",
    "probe_pkg/probe_helpers.py": "",
}


def without_carets(text: str) -> list[str]:
    """The lines, less the ``^^^`` markers Python 3.11+ adds under some traceback lines."""
    return [line for line in text.splitlines() if line.strip(" ^~") or "^" not in line]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    """Handler modules under ``tmp_path``; what the in-process checks import is forgotten afterwards."""
    for name, text in MODULES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "apig.yaml").write_text(CONFIG)
    before = set(sys.modules)
    path = list(sys.path)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]
    sys.path[:] = path


@pytest.mark.slow
def test_both_isolations_tell_the_same_story(project: Path) -> None:
    functions = list(load_definitions(project / "apig.yaml", code_dir=project).functions.values())
    in_a_process = handler_errors(functions, isolation="process", setting=COMMAND_LINE)
    # A handler that ends the process at import would end this one too: only the other check survives it.
    here = handler_errors(
        [function for function in functions if function.name != "exits"],
        isolation="thread",
        setting=COMMAND_LINE,
    )
    assert [str(error) for error in in_a_process if "exits" not in error.location.key_path] == [
        str(error) for error in here
    ]
    config = project / "apig.yaml"
    reported = [without_carets(str(error)) for error in in_a_process]
    # The user's frame first; what it called into (os.environ's own frame) follows, as Python prints it.
    assert reported[0][:4] == [
        f"{config}:6: functions.raises.handler: KeyError: 'TABLE'",
        "    Traceback (most recent call last):",
        f'      File "{project / "probe_raises.py"}", line 3, in <module>',
        "        TABLE = os.environ['TABLE']",
    ]
    assert reported[0][4].lstrip().startswith("File ") and reported[0][4].endswith(", in __getitem__")
    assert reported[1:] == [
        [
            f"{config}:8: functions.syntax.handler: Runtime.UserCodeSyntaxError: Syntax error in module "
            "'probe_syntax': expected ':' (probe_syntax.py, line 1)",
            f'      File "{project / "probe_syntax.py"}", line 1',
            "        def handler(event, context)",
        ],
        [
            f"{config}:10: functions.missing.handler: Runtime.ImportModuleError: Unable to import module "
            "'probe_nowhere': No module named 'probe_nowhere'",
            f"    hint: handlers are imported from the code root, {project}, which holds no probe_nowhere.py "
            "or probe_nowhere/; if your code is in another folder, name that folder with --code-dir",
        ],
        [
            f"{config}:12: functions.dependency.handler: Runtime.ImportModuleError: Unable to import module "
            "'probe_dependency': No module named 'probe_not_installed'",
            "    Traceback (most recent call last):",
            f'      File "{project / "probe_dependency.py"}", line 2, in <module>',
            "        import probe_not_installed",
            f"    hint: 'probe_not_installed' is neither under the code root, {project}, nor installed for the "
            f"Python that runs apig-emu ({sys.executable})",
        ],
        [
            f"{config}:14: functions.attribute.handler: Runtime.HandlerNotFound: Handler 'hadnler' missing on "
            "module 'probe_ok'",
            "    hint: did you mean 'probe_ok.handler'?",
        ],
        [f"{config}:16: functions.exits.handler: importing its handler ended the process (exit status 3)"],
        [
            f"{config}:18: functions.sibling.handler: Runtime.ImportModuleError: Unable to import module "
            "'probe_pkg.app': No module named 'probe_helpers'",
            "    Traceback (most recent call last):",
            f'      File "{project / "probe_pkg" / "app.py"}", line 1, in <module>',
            "        import probe_helpers",
            f"    hint: 'probe_helpers' is next to {project / 'probe_pkg' / 'app.py'}, but imports start at the "
            f"code root, {project}, as on Lambda: import it as 'probe_pkg.probe_helpers'",
        ],
    ]


@pytest.mark.slow
def test_a_handler_is_imported_under_its_functions_environment(project: Path) -> None:
    """``probe_ok`` reads ``TABLE`` at import; it is only set for its function, as Lambda sets it."""
    functions = load_definitions(project / "apig.yaml", code_dir=project).functions
    for isolation in ("thread", "process"):
        assert handler_errors([functions["ok"]], isolation=isolation, setting=COMMAND_LINE) == []


@pytest.mark.slow
def test_a_handler_is_checked_even_when_its_other_settings_are_wrong(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project / "apig.yaml"
    config.write_text("functions:\n  missing:\n    handler: probe_nowhere.handler\n    timeout: 0\n")
    assert main(["validate", "--config", str(config), "--code-dir", str(project)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "2 errors in the API definitions:",
        f"{config}:3: functions.missing.handler: Runtime.ImportModuleError: Unable to import module "
        "'probe_nowhere': No module named 'probe_nowhere'",
        f"    hint: handlers are imported from the code root, {project}, which holds no probe_nowhere.py "
        "or probe_nowhere/; if your code is in another folder, name that folder with --code-dir",
        f"{config}:4: functions.missing.timeout: expected a number from 1 to 900, got 0",
    ]


def test_an_init_error_shows_only_the_users_frames(
    project: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """The log line holds the user's code, not importlib's or the emulator's; Lambda's ``stackTrace`` keeps
    importlib's frames, as Lambda's runtime (which drops only its own bootstrap's) sends them."""
    config = str(project / "apig.yaml")
    assert main(["invoke", "raises", "--config", config, "--code-dir", str(project)]) == 1
    error = json.loads(capsys.readouterr().out)
    assert error["errorType"] == "KeyError"
    frames = [frame.splitlines()[:2] for frame in error["stackTrace"]]
    assert [
        f'  File "{project / "probe_raises.py"}", line 3, in <module>',
        "    TABLE = os.environ['TABLE']",
    ] in frames
    assert "importlib" in frames[0][0]
    assert not any("emulator" in frame[0] for frame in frames)
    assert f"raises KeyError: 'TABLE' ({project / 'probe_raises.py'}:3)" in caplog.messages
    assert main(["invoke", "missing", "--config", config, "--code-dir", str(project)]) == 1
    assert json.loads(capsys.readouterr().out)["stackTrace"] == []
    assert (
        "missing Runtime.ImportModuleError: Unable to import module 'probe_nowhere': "
        "No module named 'probe_nowhere'" in caplog.messages
    )
    assert "frozen importlib" not in caplog.text
