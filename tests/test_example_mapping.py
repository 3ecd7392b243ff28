"""config/mapping.yaml, the README's non-proxy examples, served as a user serves them.

A form turned into JSON by a request template, a function error mapped to 404 by a selection
pattern, a body refused by its model before the function runs, and an HTTP_PROXY integration to the
local service ``handlers_example/catalog_service.py`` (on a free port: the stage variable that names
its host is pointed there, as a user would point it per stage).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from emulator.config.loader import load_definitions
from emulator.testing import Harness
from handlers_example.catalog_service import CatalogHandler

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "mapping.yaml"


@pytest.fixture
def catalog() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), CatalogHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def harness(catalog: str) -> Iterator[Harness]:
    definitions = load_definitions(CONFIG, code_dir=ROOT)
    api = definitions.apis["store"]
    stage = dataclasses.replace(api.stages["Prod"], variables={"catalog": catalog})
    api = dataclasses.replace(api, stages={"Prod": stage})
    with Harness(dataclasses.replace(definitions, apis={"store": api})) as served:
        yield served


def test_a_form_reaches_the_function_as_json_through_the_request_template(harness: Harness) -> None:
    response = harness.post(
        "/Prod/signup",
        content="name=Ada+Lovelace&email=ada%40example.com&newsletter=on",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (response.status, response.json()) == (200, {"welcome": "Ada Lovelace", "newsletter": True})
    assert harness.invocations_of("signup")[-1].event == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "newsletter": "on",
    }


def test_a_body_no_template_maps_is_refused_as_never_passes_it_through(harness: Harness) -> None:
    response = harness.post("/Prod/signup", json={"name": "Ada"})
    assert (response.status, response.json()) == (415, {"message": "Unsupported Media Type"})
    assert harness.invocations_of("signup") == []


def test_a_not_found_error_is_a_404_by_its_selection_pattern(harness: Harness) -> None:
    found = harness.get("/Prod/products/1")
    assert (found.status, found.json()) == (200, {"id": "1", "name": "Kettle", "price": 24.5})
    missing = harness.get("/Prod/products/42")
    assert (missing.status, missing.json()) == (404, {"message": "Not found: product 42"})


def test_a_review_that_breaks_its_model_never_reaches_the_function(harness: Harness) -> None:
    refused = harness.post("/Prod/reviews", json={"product": "1", "stars": 9})
    assert (refused.status, refused.json()) == (400, {"message": "Invalid request body"})
    assert harness.invocations_of("reviews") == []
    saved = harness.post("/Prod/reviews", json={"product": "1", "stars": 5, "text": "Boils fast"})
    assert saved.status == 201
    assert saved.json()["saved"] == {"product": "1", "stars": 5, "text": "Boils fast"}


def test_the_catalog_is_forwarded_to_the_local_service(harness: Harness, catalog: str) -> None:
    response = harness.get("/Prod/catalog/teas/green?sort=price", headers={"Accept": "application/json"})
    assert response.status == 200
    received = response.json()
    assert (received["path"], received["query"]) == ("/teas/green", {"sort": ["price"]})
    # HTTP_PROXY forwards the client's headers, and the Host is the backend's.
    assert received["headers"]["Accept"] == "application/json"
    assert received["headers"]["Host"] == catalog
