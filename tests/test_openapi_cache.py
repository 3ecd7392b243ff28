"""An unchanged document is not read again: its import is cached, keyed by what the import depends on."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.config import load
from emulator.config.openapi import cache, importer
from tests.conftest import LAMBDAS

DOCUMENT = """
openapi: 3.0.1
info: {title: shop, version: "1"}
x-amazon-apigateway-minimum-compression-size: 0
paths:
  /ping:
    get:
      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{"statusCode": 200}'}}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    (tmp_path / "api.yaml").write_text(DOCUMENT)
    (tmp_path / "apig.yaml").write_text("apis:\n  shop: {openapi: api.yaml, stages: {Prod: {}}}\n")
    return tmp_path


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Each time a document is actually read and imported."""
    found: list[Path] = []
    real = importer._import

    def counting(path: Path, data: bytes, api: object) -> object:
        found.append(path)
        return real(path, data, api)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_import", counting)
    return found


def test_a_second_load_of_an_unchanged_document_reads_the_cache(project: Path, reads: list[Path]) -> None:
    first = load(project / "apig.yaml", code_dir=LAMBDAS)
    second = load(project / "apig.yaml", code_dir=LAMBDAS)
    assert len(reads) == 1
    assert second.definitions == first.definitions
    # Warnings come back too, with their lines: the cache holds the whole import.
    assert [str(warning) for warning in second.warnings] == [str(warning) for warning in first.warnings] != []
    assert len(list((project / "cache").glob("*.json"))) == 1


def test_a_changed_document_or_api_id_is_read_anew_and_the_yamls_own_part_always_applies(
    project: Path, reads: list[Path]
) -> None:
    load(project / "apig.yaml", code_dir=LAMBDAS)
    (project / "apig.yaml").write_text("apis:\n  shop: {openapi: api.yaml, stages: {live: {}}}\n")
    restaged = load(project / "apig.yaml", code_dir=LAMBDAS)
    assert len(reads) == 1  # the document and the id are the same
    assert list(restaged.definitions.apis["shop"].stages) == ["live"]
    (project / "apig.yaml").write_text("apis:\n  shop: {id: abcdefghij, openapi: api.yaml}\n")
    assert load(project / "apig.yaml", code_dir=LAMBDAS).definitions.apis["shop"].id == "abcdefghij"
    (project / "api.yaml").write_text(DOCUMENT.replace("/ping", "/pong"))
    changed = load(project / "apig.yaml", code_dir=LAMBDAS)
    assert len(reads) == 3
    assert "/pong" in changed.definitions.apis["shop"].resources


def test_a_broken_entry_is_read_past_and_replaced(project: Path, reads: list[Path]) -> None:
    load(project / "apig.yaml", code_dir=LAMBDAS)
    (entry,) = (project / "cache").glob("*.json")
    entry.write_bytes(b"not a pickle")
    assert "/ping" in load(project / "apig.yaml", code_dir=LAMBDAS).definitions.apis["shop"].resources
    assert len(reads) == 2
    assert entry.read_bytes() != b"not a pickle"


def test_off_reads_every_time_and_writes_nothing(
    project: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    load(project / "apig.yaml", code_dir=LAMBDAS)
    load(project / "apig.yaml", code_dir=LAMBDAS)
    assert len(reads) == 2
    assert not (project / "cache").exists()


def test_only_the_newest_entries_are_kept(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "KEPT", 3)
    for index in range(5):
        (project / "api.yaml").write_text(DOCUMENT.replace("/ping", f"/ping{index}"))
        load(project / "apig.yaml", code_dir=LAMBDAS)
    assert len(list((project / "cache").glob("*.json"))) == 3


def test_an_entry_can_only_rebuild_the_importers_own_classes(project: Path, reads: list[Path]) -> None:
    """Entries are data, never code: a handler runs as the same user and could write one."""
    load(project / "apig.yaml", code_dir=LAMBDAS)
    (entry,) = (project / "cache").glob("*.json")
    entry.write_text('["D", "Popen", {"args": ["touch", "owned"]}]')
    assert "/ping" in load(project / "apig.yaml", code_dir=LAMBDAS).definitions.apis["shop"].resources
    assert len(reads) == 2
    assert not (project / "owned").exists()
