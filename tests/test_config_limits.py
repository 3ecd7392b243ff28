"""Configs cannot blow up: aliases, nesting, file sizes and types, mock body files, Lambda's environment limit.

Each hostile input is one that used to hang, eat memory or end in a traceback. Those that did run in a
child process with 1 GiB of address space and a fail-safe timeout, so that without the limits the
test fails (out of memory, or timed out) instead of taking the machine down; the child reports its
peak RSS from /proc.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator import integration_response
from emulator.cli import main
from emulator.config import ConfigErrors, load, load_definitions
from emulator.config.bounded_yaml import MAX_DEPTH, MAX_REPEATED_CHARACTERS, MAX_REPEATED_VALUES
from emulator.config.mocks import parse_mock_option
from emulator.config.rules import MAX_ENVIRONMENT_BYTES, environment_size
from emulator.limited_files import MAX_BODY_FILE_BYTES, MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.testing import definitions_from_yaml
from tests.conftest import LAMBDAS, ROOT, MakeHarness

linux_only = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")

#: The address space a child may use: a few times what loading a config takes (under 200 MB).
CHILD_ADDRESS_SPACE = 1024 * 1024 * 1024
#: The child's peak RSS stays under this; today's bombs took gigabytes.
PEAK_RSS_KIB = 300 * 1024
#: Only reached if a limit is missing (the child would hang): the fixed code answers at once.
FAIL_SAFE_S = 120

_CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
{body}
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print("peak_kib", peak, file=sys.stderr)
sys.exit(globals().get("code", 0))
"""


@dataclass
class Child:
    code: int
    err: str
    peak_kib: int


def run_child(body: str, *args: str, cwd: Path = ROOT) -> Child:
    """Run ``body`` (Python, given ``sys.argv[1:]`` = ``args``) in a child bounded in memory; its exit and output."""
    script = _CHILD.format(limit=CHILD_ADDRESS_SPACE, body=textwrap.dedent(body))
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=FAIL_SAFE_S,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    peak = [line for line in done.stderr.splitlines() if line.startswith("peak_kib ")]
    assert peak, f"the child ended before reporting its memory (exit {done.returncode}):\n{done.stderr}"
    return Child(done.returncode, done.stderr, int(peak[-1].split()[1]))


def validate_in_child(config: Path) -> Child:
    """``apig-emu validate --config CONFIG``, as a user runs it, in a bounded child."""
    return run_child(
        """
        from emulator.cli import main
        code = main(["validate", "--config", sys.argv[1]])
        """,
        str(config),
    )


def write(path: Path, text: str, tail: str = "") -> Path:
    """``text`` dedented, then ``tail`` as it is."""
    path.write_text(textwrap.dedent(text) + tail)
    return path


def laughs(indent: str = "      ") -> str:
    """A "billion laughs": nine aliases of nine aliases ... of "lol", nine levels: 9**9 strings once walked."""
    lines = [f"{indent}- &a [{', '.join(['lol'] * 9)}]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{indent}- &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines)


# Aliases


@pytest.mark.slow
@linux_only
def test_an_alias_bomb_in_a_mock_body_is_refused_at_its_alias(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(
        "apis: {shop: {}}\nmocks:\n  laughs:\n    body:\n"
        + laughs()
        + "\n    triggers: [{api: shop, resource: /lol, method: GET}]\n"
    )
    assert config.stat().st_size < 600  # the bomb was 574 bytes
    child = validate_in_child(config)
    assert child.code == 1, child.err
    # *a repeats 10 values (the list and its nine), *b 91, *c 820, *d 7381, *e 66430: past 100,000.
    assert (
        f"{config}:10:13: aliases repeat too much: with the alias '*e' here they repeat 141,148 values "
        "in this document, over the limit of 100,000"
    ) in child.err
    assert "Traceback" not in child.err
    assert child.peak_kib < PEAK_RSS_KIB


@pytest.mark.slow
@linux_only
def test_a_merge_key_bomb_is_refused(tmp_path: Path) -> None:
    """``<<`` merges each source's keys: merges of merges walk every repetition, in the definitions' reader."""
    lines = ["      a0: &a0 {k: v}"]
    for level in range(1, 17):
        sources = ", ".join([f"*a{level - 1}"] * 4)
        lines.append(f"      a{level}: &a{level} {{<<: [{sources}]}}")
    config = write(tmp_path / "apig.yaml", "apis:\n  shop:\n    stages:\n" + "\n".join(lines) + "\n")
    child = validate_in_child(config)
    assert child.code == 1, child.err
    assert f"{config}:12:21: aliases repeat too much: with the alias '*a7' here" in child.err
    assert child.peak_kib < PEAK_RSS_KIB


@pytest.mark.slow
@linux_only
def test_an_alias_bomb_in_the_mock_option_is_refused() -> None:
    inline = '{"body": [' + laughs(indent="").replace("\n", ", ").replace("- ", "") + "]}"
    child = run_child(
        """
        from emulator.config import ConfigErrors
        from emulator.config.mocks import parse_mock_option
        from pathlib import Path
        try:
            parse_mock_option(sys.argv[1], cwd=Path.cwd())
        except ConfigErrors as errors:
            print(errors, file=sys.stderr)
        """,
        "items=" + inline,
    )
    assert "--mock items:1:" in child.err
    assert "aliases repeat too much: with the alias '*e' here" in child.err
    assert child.peak_kib < PEAK_RSS_KIB


@pytest.mark.slow
@linux_only
def test_an_alias_bomb_in_definitions_from_yaml_is_refused() -> None:
    text = "apis: {shop: {}}\nmocks:\n  laughs:\n    body:\n" + laughs() + "\n"
    child = run_child(
        """
        from emulator.config import ConfigErrors
        from emulator.testing import definitions_from_yaml
        try:
            definitions_from_yaml(sys.argv[1])
        except ConfigErrors as errors:
            print(errors, file=sys.stderr)
        """,
        text,
    )
    assert "<yaml>:10:13: aliases repeat too much: with the alias '*e' here" in child.err
    assert child.peak_kib < PEAK_RSS_KIB


def test_aliases_may_repeat_up_to_the_limit_of_values(tmp_path: Path) -> None:
    # A list of 999 zeros is 1,000 values; aliased 100 times, exactly the limit; once more, past it.
    assert MAX_REPEATED_VALUES == 100 * 1000
    anchor = "[" + ", ".join(["0"] * 999) + "]"

    def config(aliases: int) -> str:
        return f"apis: {{shop: {{}}}}\nmocks:\n  many:\n    body:\n      - &zeros {anchor}\n" + "".join(
            "      - *zeros\n" for _ in range(aliases)
        )

    assert definitions_from_yaml(config(100)).apis["shop"] is not None
    with pytest.raises(ConfigErrors) as caught:
        definitions_from_yaml(config(101))
    assert str(caught.value.errors[0]) == (
        "<yaml>:106:9: aliases repeat too much: with the alias '*zeros' here they repeat 101,000 values "
        "in this document, over the limit of 100,000"
    )


def test_aliases_may_not_repeat_more_text_than_the_limit(tmp_path: Path) -> None:
    """One long string aliased a few times is as big as many values aliased many times."""
    long_text = "x" * (MAX_REPEATED_CHARACTERS // 10)
    config = write(
        tmp_path / "apig.yaml",
        f"""\
        apis: {{shop: {{}}}}
        mocks:
          big:
            body:
              - &text {long_text}
        """,
        "".join("      - *text\n" for _ in range(11)),
    )
    errors = load(config).errors
    assert [str(error) for error in errors] == [
        f"{config}:16:9: aliases repeat too much: with the alias '*text' here they repeat 1,100,000 "
        "characters of text in this document, over the limit of 1,000,000"
    ]


def test_shared_blocks_through_aliases_still_load(tmp_path: Path) -> None:
    """What aliases are for: one CORS block for many methods, one list of items in several bodies."""
    triggers = "".join(
        f"      - {{api: shop, resource: /r{index}, method: GET, cors: *cors}}\n" for index in range(200)
    )
    config = write(
        tmp_path / "apig.yaml",
        """\
        apis: {shop: {}}
        mocks:
          listing:
            body: &items [{id: 1, name: Ann}, {id: 2, name: Bo}]
            triggers:
              - {api: shop, resource: /items, method: GET, cors: &cors {allow_origin: "https://a.example"}}
          pages:
            body: {page1: *items, all: [*items, *items]}
            triggers:
        """,
        triggers,
    )
    resources = load_definitions(config).apis["shop"].resources
    assert {"/items", "/r0", "/r199"} <= set(resources)


def test_an_alias_inside_the_value_it_names_is_refused(tmp_path: Path) -> None:
    config = write(
        tmp_path / "apig.yaml",
        """\
        apis: {shop: {}}
        mocks:
          loop:
            body: &me [1, *me]
            triggers: [{api: shop, resource: /loop, method: GET}]
        """,
    )
    assert [str(error) for error in load(config).errors] == [
        f"{config}:4:19: the alias '*me' is inside the value it names (anchored at line 4): "
        "a value cannot contain itself"
    ]


# Nesting


@pytest.mark.slow
def test_deep_nesting_is_a_clear_error_not_a_recursion_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text("apis: " + "[" * 100_000 + "\n")
    assert main(["validate", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"{config}:1:106: values nest deeper than 100 levels here (a document may nest at most 100)" in err
    assert "Traceback" not in err


def test_nesting_up_to_the_limit_loads(tmp_path: Path) -> None:
    # The mappings of the document, of ``mocks`` and of ``deep`` are three levels, the ``1`` one more.
    lists = MAX_DEPTH - 4
    config = write(
        tmp_path / "apig.yaml",
        f"""\
        apis: {{shop: {{}}}}
        mocks:
          deep:
            body: {"[" * lists}1{"]" * lists}
            triggers: [{{api: shop, resource: /deep, method: GET}}]
        """,
    )
    body = load_definitions(config).apis["shop"].resources
    assert body
    config.write_text(config.read_text().replace("[1]", "[[1]]"))
    [error] = load(config).errors
    assert "values nest deeper than 100 levels here" in str(error)


@pytest.mark.parametrize(
    ("link", "what"),
    [
        ("[*a{previous}]", "a list holding the one before"),
        ("{{<<: *a{previous}, k{index}: v}}", "a mapping merging the one before"),
    ],
)
def test_nesting_through_aliases_is_bounded(tmp_path: Path, link: str, what: str) -> None:
    """Each anchor nests the one before: 2,000 levels once walked (json.dumps, merges), in a flat file."""
    lines = ["      a0: &a0 {k0: v}"]
    for index in range(1, 2000):
        lines.append(f"      a{index}: &a{index} " + link.format(previous=index - 1, index=index))
    config = write(
        tmp_path / "apig.yaml",
        "apis: {shop: {}}\nmocks:\n  deep:\n    body:\n" + "\n".join(lines) + "\n"
        "    triggers: [{api: shop, resource: /deep, method: GET}]\n",
    )
    errors = [str(error) for error in load(config).errors]
    assert len(errors) == 1, what
    assert errors[0].startswith(f"{config}:")
    assert "through the alias '*a" in errors[0]
    assert "here, values nest deeper than 100 levels" in errors[0]


@pytest.mark.slow
def test_a_quoted_value_full_of_brackets_gets_its_error(tmp_path: Path) -> None:
    """The hint that reads a quoted value unquoted must not recurse into it."""
    config = write(
        tmp_path / "apig.yaml",
        f"""\
        functions:
          f:
            handler: cases.echo
            memory: "{"[" * 5000}"
        """,
    )
    [error] = load(config, code_dir=LAMBDAS).errors
    assert str(error).startswith(
        f"{config}:4: functions.f.memory: expected an integer from 128 to 10240, got '[[["
    )


def test_the_hint_for_a_quoted_number_still_shows(tmp_path: Path) -> None:
    config = write(tmp_path / "apig.yaml", 'functions:\n  f:\n    handler: cases.echo\n    memory: "256"\n')
    [error] = load(config, code_dir=LAMBDAS).errors
    assert "in quotes it is a string; write it without them: 256" in str(error)


@pytest.mark.slow
def test_deep_nesting_in_the_mock_option_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_mock_option('items={"body": ' + "[" * 50_000, cwd=tmp_path)
    assert str(caught.value.errors[0]).startswith(
        "--mock items:1:109: values nest deeper than 100 levels here"
    )


# Files


def big_sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk: NUL bytes, which no YAML parser gets far into."""
    with path.open("wb") as file:
        file.truncate(size)
    return path


def test_a_definition_file_over_the_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    config = big_sparse_file(tmp_path / "apig.yaml", MAX_DEFINITION_BYTES + 1)
    assert [str(error) for error in load(config).errors] == [
        f"{config}: a definition file may be at most 2 MiB (2,097,152 bytes); this one is 2,097,153 bytes"
    ]


def test_definitions_from_yaml_over_the_limit_are_refused() -> None:
    with pytest.raises(ConfigErrors, match=r"<yaml>: a definition may be at most 2 MiB \(2,097,152 bytes\)"):
        definitions_from_yaml("\0" * (MAX_DEFINITION_BYTES + 1))


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    path = tmp_path / "apig.yaml"
    os.mkfifo(path)
    yield path


@pytest.mark.slow
def test_a_fifo_as_config_is_refused_without_waiting_for_a_writer(fifo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "validate", "--config", str(fifo)],
        capture_output=True,
        text=True,
        timeout=FAIL_SAFE_S,
        cwd=ROOT,
    )
    assert done.returncode == 1
    assert f"{fifo}: a definition file must be a regular file; this is a FIFO (named pipe)" in done.stderr


@pytest.mark.slow
@linux_only
def test_a_device_as_config_is_refused_without_reading_it() -> None:
    child = validate_in_child(Path("/dev/zero"))
    assert child.code == 1, child.err
    assert "/dev/zero: a definition file must be a regular file; this is a character device" in child.err
    assert child.peak_kib < PEAK_RSS_KIB


def test_a_fifo_in_a_config_folder_is_named(fifo: Path) -> None:
    (fifo.parent / "other.yaml").write_text("apis: {shop: {}}\n")
    errors = load(fifo.parent).errors
    assert [str(error) for error in errors] == [
        f"{fifo}: a definition file must be a regular file; this is a FIFO (named pipe)"
    ]


def test_a_mock_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    big = big_sparse_file(tmp_path / "big.json", MAX_DEFINITION_BYTES + 1)
    with pytest.raises(ConfigErrors) as caught:
        parse_mock_option("items=big.json", cwd=tmp_path)
    assert str(caught.value.errors[0]) == (
        f"--mock items=big.json: cannot read {big}: a mock file may be at most 2 MiB (2,097,152 bytes); "
        "this one is 2,097,153 bytes"
    )


@pytest.mark.slow
@linux_only
def test_a_fifo_as_mock_file_is_refused_without_waiting_for_a_writer(fifo: Path) -> None:
    child = run_child(
        """
        from emulator.config import ConfigErrors
        from emulator.config.mocks import parse_mock_option
        from pathlib import Path
        try:
            parse_mock_option(sys.argv[1], cwd=Path.cwd())
        except ConfigErrors as errors:
            print(errors, file=sys.stderr)
        """,
        f"items={fifo.name}",
        cwd=fifo.parent,
    )
    assert (
        f"--mock items={fifo.name}: cannot read {fifo}: a mock file must be a regular file; this is a FIFO"
        in (child.err)
    )


def test_read_limited_refuses_a_file_that_grows_past_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "grows"
    path.write_bytes(b"x" * 10)
    assert read_limited(path, 10, "a file") == b"x" * 10
    with pytest.raises(FileRefused, match="a file may be at most 9 bytes; this one is 10 bytes"):
        read_limited(path, 9, "a file")


# A mock's body_file


def body_file_config(tmp_path: Path, body: Path) -> str:
    return f"""
        apis: {{shop: {{}}}}
        mocks:
          file:
            body_file: {body.name}
            triggers: [{{api: shop, resource: /file, method: GET}}]
          other:
            body: other
            triggers: [{{api: shop, resource: /other, method: GET}}]
        """


def test_a_body_file_over_the_payload_limit_is_a_definition_error(tmp_path: Path, fifo: Path) -> None:
    big = big_sparse_file(tmp_path / "big.json", MAX_BODY_FILE_BYTES + 1)
    config = write(
        tmp_path / "mocks.yml",
        f"""\
        apis: {{shop: {{}}}}
        mocks:
          big:
            body_file: {big.name}
            triggers: [{{api: shop, resource: /big, method: GET}}]
          pipe:
            body_file: {fifo.name}
            triggers: [{{api: shop, resource: /pipe, method: GET}}]
        """,
    )
    assert [str(error) for error in load(config).errors] == [
        f"{config}:4: mocks.big.body_file: {big}: a body_file may be at most 10 MiB (10,485,760 bytes); "
        "this one is 10,485,761 bytes",
        f"{config}:7: mocks.pipe.body_file: {fifo}: a body_file must be a regular file; this is a FIFO "
        "(named pipe)",
    ]


def test_a_body_file_that_grows_past_the_limit_while_serving_is_a_500_that_says_why(
    tmp_path: Path, make_harness: MakeHarness, caplog: pytest.LogCaptureFixture
) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"ok": true}')
    harness = make_harness(body_file_config(tmp_path, body))
    assert harness.get("/Prod/file").json() == {"ok": True}
    big_sparse_file(body, MAX_BODY_FILE_BYTES + 1)
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        response = harness.get("/Prod/file")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    assert (
        f"GET /Prod/file -> 500: the mock's body_file {body}: a body_file may be at most 10 MiB"
        in caplog.text
    )
    body.write_text('{"ok": "again"}')
    assert harness.get("/Prod/file").json() == {"ok": "again"}


def test_a_body_file_is_read_off_the_event_loop(
    tmp_path: Path, make_harness: MakeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one request's body_file read is stuck (a slow disk), another request is answered."""
    body = tmp_path / "body.json"
    body.write_text('{"ok": true}')
    harness = make_harness(body_file_config(tmp_path, body))
    other_answered = threading.Event()
    waited: list[bool] = []

    def slow_read(path: Path, limit: int, what: str) -> bytes:
        waited.append(other_answered.wait(timeout=FAIL_SAFE_S / 10))
        return read_limited(path, limit, what)

    monkeypatch.setattr(integration_response, "read_limited", slow_read)
    answers: list[object] = []
    stuck = threading.Thread(target=lambda: answers.append(harness.get("/Prod/file").json()))
    stuck.start()
    try:
        assert harness.get("/Prod/other").text == "other"
        other_answered.set()
    finally:
        other_answered.set()
        stuck.join()
    assert waited == [True], "the other request was answered only after the body_file read"
    assert answers == [{"ok": True}]


# Lambda's environment limit


def environment_config(tmp_path: Path, environment: dict[str, str]) -> Path:
    return write(
        tmp_path / "apig.yaml",
        f"""\
        apis: {{shop: {{}}}}
        functions:
          big:
            handler: cases.echo
            environment: {json.dumps(environment)}
            triggers: [{{api: shop, resource: /big, method: GET, proxy: true}}]
        """,
    )


@pytest.mark.slow
def test_an_environment_over_lambdas_4_kb_is_a_validate_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # {"A":"xxx…","B":"y"}: 4,096 bytes exactly is what Lambda accepts.
    fits = {"A": "x" * (MAX_ENVIRONMENT_BYTES - len('{"A":"","B":"y"}')), "B": "y"}
    assert environment_size(fits) == MAX_ENVIRONMENT_BYTES
    config = environment_config(tmp_path, fits)
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 0
    capsys.readouterr()
    config = environment_config(tmp_path, {**fits, "B": "yz"})
    assert main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 1
    assert (
        f"{config}:5: functions.big.environment: the environment is 4,097 bytes as Lambda measures it "
        "(its variables as compact JSON), over Lambda's limit of 4 KB (4,096 bytes) for all of a "
        "function's variables"
    ) in capsys.readouterr().err


def test_an_environment_too_big_for_a_process_is_refused_before_serving(tmp_path: Path) -> None:
    """200 KB in one variable: today every request in process isolation failed "Argument list too long"."""
    config = environment_config(tmp_path, {"BIG": "x" * 200_000})
    with pytest.raises(ConfigErrors, match="the environment is 200,010 bytes as Lambda measures it"):
        load_definitions(config, code_dir=LAMBDAS)


def test_the_environment_counts_names_values_and_utf8(tmp_path: Path) -> None:
    assert environment_size({}) == 2
    assert environment_size({"KEY": "value"}) == len('{"KEY":"value"}')
    assert environment_size({"K": "é"}) == len('{"K":""}') + 2
    assert environment_size({"K": 'say "hi"'}) == len('{"K":"say \\"hi\\""}')
