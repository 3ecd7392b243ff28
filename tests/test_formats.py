"""The format registry: definitions recognised by content, found without flags, and one entry per format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import formats
from emulator.config.loaded import Loaded, LoadOptions
from emulator.config.overrides import OverrideError, parse_overrides
from emulator.model import Definitions, Function
from tests.conftest import LAMBDAS

APIG_YAML = """
apis:
  shop: {}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: /items, method: GET, proxy: true}
"""


@pytest.fixture
def registry() -> Iterator[list[formats.ConfigFormat]]:
    """The registry, restored after a test adds to it."""
    saved = list(formats.FORMATS)
    yield formats.FORMATS
    formats.FORMATS[:] = saved


def _service_format(loaded_paths: list[Path]) -> formats.ConfigFormat:
    """A stand-in for a further format: what plugging one in takes."""

    def load(path: Path, options: LoadOptions) -> Loaded:
        loaded_paths.append(path)
        function = Function("hello", "cases.echo_event", options.code_dir or path.parent)
        return Loaded(Definitions(functions={"hello": function}), [], {"hello": function})

    return formats.ConfigFormat(
        name="service",
        title="a service file",
        default_paths=("service.yml",),
        recognises=lambda top: "component" in top.keys and "provider" in top.keys,
        load=load,
        default_code_dir=lambda path: path.resolve().parent,
    )


def test_content_decides_not_the_name(tmp_path: Path, registry: list[formats.ConfigFormat]) -> None:
    formats.register(_service_format([]))
    named_like_ours = tmp_path / "apig.yaml"
    named_like_ours.write_text("component: shop\nprovider: {name: aws}\n")
    assert formats.recognise(named_like_ours).name == "service"
    odd_name = tmp_path / "infra.yml"
    odd_name.write_text(APIG_YAML)
    assert formats.recognise(odd_name) is formats.APIG
    as_json = tmp_path / "x.json"
    as_json.write_text('{"component": "shop", "provider": {}}')
    assert formats.recognise(as_json).name == "service"


def test_a_file_whose_content_says_nothing_falls_back_to_its_name(
    tmp_path: Path, registry: list[formats.ConfigFormat]
) -> None:
    formats.register(_service_format([]))
    broken = tmp_path / "service.yml"
    broken.write_text("service: [unclosed\n")
    assert formats.recognise(broken).name == "service"
    (tmp_path / "other.yml").write_text("# only a comment\n")
    assert formats.recognise(tmp_path / "other.yml") is formats.APIG
    assert formats.recognise(tmp_path) is formats.APIG  # a folder of YAML files


def test_a_format_is_registered_once(registry: list[formats.ConfigFormat]) -> None:
    with pytest.raises(ValueError, match="registered already"):
        formats.register(formats.APIG)


def test_without_config_the_first_default_found_is_used_and_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    registry: list[formats.ConfigFormat],
) -> None:
    loaded: list[Path] = []
    formats.register(_service_format(loaded))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "service.yml").write_text("component: shop\nprovider: {name: aws}\n")
    assert main(["validate", "--code-dir", str(LAMBDAS)]) == 0
    assert loaded == [Path("service.yml")]
    assert "apig-emu: using service.yml, a service file (no --config given)" in capsys.readouterr().err
    # config/apig.yaml comes first in the search order.
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "apig.yaml").write_text(APIG_YAML)
    assert main(["validate", "--code-dir", str(LAMBDAS)]) == 0
    assert "using config/apig.yaml, apig-emu definitions" in capsys.readouterr().err
    assert len(loaded) == 1


def test_without_config_and_nothing_to_find_the_search_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["routes"]) == 2
    err = capsys.readouterr().err
    assert "apig-emu routes: no definitions found: none of config/apig.yaml" in err
    assert "--config FILE (or -t FILE)" in err


def test_t_and_template_are_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "defs.yml"
    config.write_text(APIG_YAML)
    for flag in ("-t", "--template", "--config"):
        assert main(["routes", flag, str(config), "--code-dir", str(LAMBDAS)]) == 0
        assert "/items" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["Stage=dev"], {"Stage": "dev"}),
        (
            ["Stage=dev Table=t1", "Url=http://x/?a=b"],
            {"Stage": "dev", "Table": "t1", "Url": "http://x/?a=b"},
        ),
        (
            ["ParameterKey=Stage,ParameterValue=dev ParameterKey=Name,ParameterValue=a,b"],
            {"Stage": "dev", "Name": "a,b"},
        ),
        (["Greeting='hello world'", "Stage=a", "Stage=b"], {"Greeting": "hello world", "Stage": "b"}),
        (["Empty="], {"Empty": ""}),
    ],
)
def test_parameter_overrides_read_as_sam_cli_reads_them(
    arguments: list[str], expected: dict[str, str]
) -> None:
    assert parse_overrides(arguments) == expected


@pytest.mark.parametrize("argument", ["Stage", "=dev", "Greeting='open"])
def test_a_malformed_override_is_refused(argument: str) -> None:
    with pytest.raises(OverrideError):
        parse_overrides([argument])


def test_a_malformed_override_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "defs.yml"
    config.write_text(APIG_YAML)
    assert main(["routes", "--config", str(config), "--parameter-overrides", "Stage"]) == 2
    assert "--parameter-overrides: 'Stage' is not Key=Value" in capsys.readouterr().err
