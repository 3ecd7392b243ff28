"""The route table of ``apig-emu routes`` and ``serve``: the integration default is unmissable.

Leaving ``proxy`` out of a trigger gives a non-proxy integration, whereas SAM's ``Api`` events default
to proxy; the table says which each Lambda method is, and explains the difference once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import load_definitions
from emulator.table import NON_PROXY_NOTE, format_table
from tests.conftest import LAMBDAS, ROOT

MIXED = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /implicit, method: POST}
      - {api: shop, resource: /explicit, method: POST, proxy: false}
      - {api: shop, resource: /proxied, method: GET, proxy: true}
"""

PROXY_ONLY = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /proxied, method: GET, proxy: true, cors: true}
mocks:
  orders:
    body: {orders: []}
    triggers: [{api: shop, resource: /orders, method: GET}]
"""


def routes(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> list[str]:
    config = tmp_path / "apig.yaml"
    config.write_text(text)
    assert main(["routes", "--config", str(config), "--code-dir", str(LAMBDAS)]) == 0
    return capsys.readouterr().out.splitlines()


def integration_of(lines: list[str], url_end: str) -> str:
    """The INTEGRATION cell of the row whose URL ends so, found by the header's column positions."""
    header = lines[0]
    start, end = header.index("INTEGRATION"), header.index("FUNCTION")
    (row,) = [line for line in lines[1:] if line.split()[1:2] and line.split()[1].endswith(url_end)]
    return row[start:end].strip()


def test_a_trigger_without_proxy_is_shown_as_non_proxy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = routes(tmp_path, capsys, MIXED)
    assert integration_of(lines, "/Prod/implicit") == "lambda (non-proxy)"
    assert integration_of(lines, "/Prod/explicit") == "lambda (non-proxy)"
    assert integration_of(lines, "/Prod/proxied") == "lambda-proxy"


def test_a_footnote_explains_non_proxy_and_the_switch_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = routes(tmp_path, capsys, MIXED)
    assert lines.count(NON_PROXY_NOTE) == 1
    assert lines[-2:] == ["", NON_PROXY_NOTE]
    assert "proxy: true" in NON_PROXY_NOTE and "SAM" in NON_PROXY_NOTE


def test_no_footnote_without_a_non_proxy_lambda_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = routes(tmp_path, capsys, PROXY_ONLY)
    assert NON_PROXY_NOTE not in lines
    assert integration_of(lines, "/Prod/orders") == "mock"
    assert lines[-1].startswith("OPTIONS ") or lines[-1].startswith("GET ")


def test_both_footnotes_follow_the_table(tmp_path: Path) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text(MIXED.replace("apis:\n  shop: {}", "apis:\n  shop: {}\n  admin: {}"))
    lines = format_table(load_definitions(config, code_dir=LAMBDAS), "http://localhost:3000").splitlines()
    blank = lines.index("")
    assert lines[blank + 1] == NON_PROXY_NOTE
    assert lines[blank + 2].startswith("Several APIs:")


def test_the_readme_shows_the_example_apis_table_as_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text()
    shown = re.search(r"```console\n\$ apig-emu serve\n(.*?\n)Inspector: ", readme, re.DOTALL)
    assert shown is not None, "the README's session with the example API starts with apig-emu serve"
    monkeypatch.chdir(ROOT)
    assert main(["routes"]) == 0
    assert shown.group(1) == capsys.readouterr().out
