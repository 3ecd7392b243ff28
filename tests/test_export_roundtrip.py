"""Serving ``import(export(x))`` answers as ``x`` does: the OpenAPI export, bound back, is the same API.

A user exports what they built (``apig-emu export --format openapi``) and binds the document back
(``apis.<name>.openapi``; ``tests/roundtrip.py``), as they would before deploying it. The model that
comes back is the original, but for what the README says the export changes: checked for every config
of the test suite, the bundled examples, the OpenAPI fixtures and an API using every part of the model;
and a SAM template's ``DefinitionBody`` comes back with its functions under their logical ids.
Served side by side, the bundled examples answer every request alike, with the same route taken, the
same event handed to the handler and the same error reported; only the ids and times that differ
between any two requests are left out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from emulator.config import load
from emulator.config.lambda_uris import Target
from emulator.export.notes import Notes
from emulator.export.openapi import export_openapi
from emulator.export.writing import dump
from tests.conftest import LAMBDAS, ROOT
from tests.export_models import petstore
from tests.live import LiveServer, launch_server, serving
from tests.roundtrip import as_exported, binding, comparable, exported_binding, functions, sam_binding
from tests.suite_configs import CONFIGS, load_config_text

FIXTURES = Path(__file__).parent / "fixtures" / "openapi"
APIG = ROOT / "config" / "apig.yaml"
PETSHOP = ROOT / "config" / "petshop.yaml"
ORDERS = ROOT / "config" / "orders.yaml"
MAPPING = ROOT / "config" / "mapping.yaml"
#: The bundled examples (``config/``, handlers under the checkout) and the OpenAPI fixtures.
EXAMPLES = [
    pytest.param(APIG, ROOT, id="config/apig.yaml"),
    pytest.param(PETSHOP, ROOT, id="config/petshop.yaml"),
    pytest.param(ORDERS, ROOT, id="config/orders.yaml"),
    pytest.param(MAPPING, ROOT, id="config/mapping.yaml"),
    *(pytest.param(path, LAMBDAS, id=path.name) for path in sorted(FIXTURES.glob("*.apig.yaml"))),
]


def _has_methods(text: str) -> bool:
    definitions = load_config_text(text)
    return definitions is not None and any(api.methods() for api in definitions.apis.values())


#: The suite's configs that define a method: an api with none has nothing to export.
WITH_METHODS = [(where, text) for where, text in CONFIGS if _has_methods(text)]


def assert_comes_back(config: Path, code_dir: Path, folder: Path) -> None:
    original = load(config, code_dir=code_dir)
    bound = load(exported_binding(config, code_dir, folder), code_dir=code_dir)
    assert bound.errors == []
    assert [str(warning) for warning in bound.warnings] == []
    assert set(bound.definitions.apis) == set(original.definitions.apis)
    for name, api in original.definitions.apis.items():
        assert comparable(bound.definitions.apis[name]) == comparable(as_exported(api))
    assert comparable_functions(bound.definitions) == comparable_functions(original.definitions)


def comparable_functions(definitions: Any) -> dict[str, object]:
    return {
        name: (
            function.handler,
            function.code_dir,
            function.timeout,
            function.memory,
            dict(function.environment),
        )
        for name, function in definitions.functions.items()
    }


def test_the_suite_has_configs_with_methods_to_round_trip() -> None:
    assert len(WITH_METHODS) >= 30


@pytest.mark.parametrize(("where", "text"), WITH_METHODS, ids=[where for where, _ in WITH_METHODS])
def test_a_suite_config_comes_back_from_its_export(where: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "original").mkdir()
    (tmp_path / "exported").mkdir()
    config = tmp_path / "original" / "apig.yaml"
    config.write_text(text, encoding="utf-8")
    assert_comes_back(config, LAMBDAS, tmp_path / "exported")


@pytest.mark.parametrize(("config", "code_dir"), EXAMPLES)
def test_an_example_comes_back_from_its_export(config: Path, code_dir: Path, tmp_path: Path) -> None:
    assert_comes_back(config, code_dir, tmp_path)


def test_an_api_using_every_part_of_the_model_comes_back_from_its_export(tmp_path: Path) -> None:
    """Authorizers, models, validators, HTTP integrations, selection patterns, a REGIONAL endpoint,
    versioned and stage-variable Lambda URIs: what the YAML cannot write yet, an importer can."""
    definitions = petstore(tmp_path)
    api = definitions.apis["petstore"]
    document = export_openapi(
        api, definitions, stages=list(api.stages.values()), target=Target(), notes=Notes()
    )
    (tmp_path / "petstore.yaml").write_text(dump(document, as_json=False), encoding="utf-8")
    config = tmp_path / "apig.yaml"
    bound = {"apis": {"petstore": binding(api, "petstore.yaml")}, "functions": functions(definitions)}
    config.write_text(yaml.safe_dump(bound), encoding="utf-8")
    loaded = load(config, code_dir=tmp_path)
    assert loaded.errors == []
    assert comparable(loaded.definitions.apis["petstore"]) == comparable(as_exported(api))


def _one_stage(text: str) -> bool:
    definitions = load_config_text(text)
    return (
        definitions is not None
        and len(definitions.apis) == 1
        and len(next(iter(definitions.apis.values())).stages) <= 1
    )


#: A SAM template deploys one API and one stage.
SAM_CONFIGS = [(where, text) for where, text in WITH_METHODS if _one_stage(text)]
#: pets-export.apig.yaml has two stages, and a function chosen per stage, which a SAM template names by
#: ARN (the export's notes say so).
SAM_EXAMPLES = [example for example in EXAMPLES if example.id != "pets-export.apig.yaml"]


def assert_comes_back_through_sam(config: Path, code_dir: Path, folder: Path) -> None:
    """No SAM importer yet: the template's DefinitionBody is bound through ``openapi:``, which reads its
    ``Fn::Sub`` URIs, with its functions under their logical ids (``tests/roundtrip.sam_binding``)."""
    original = load(config, code_dir=code_dir).definitions
    path, renamed = sam_binding(config, code_dir, folder)
    bound = load(path, code_dir=code_dir)
    assert bound.errors == []
    assert [str(warning) for warning in bound.warnings] == []
    ((name, api),) = original.apis.items()
    assert comparable(bound.definitions.apis[name]) == comparable(as_exported(api, renamed))
    # Lambda counts whole seconds; a function no method invokes is not deployed.
    assert comparable_functions(bound.definitions) == {
        renamed[name]: (handler, code, float(math.ceil(timeout)), memory, environment)
        for name, (handler, code, timeout, memory, environment) in comparable_functions(original).items()
        if name in renamed
    }


def test_the_suite_has_configs_to_round_trip_through_sam() -> None:
    assert len(SAM_CONFIGS) >= 30


@pytest.mark.parametrize(("where", "text"), SAM_CONFIGS, ids=[where for where, _ in SAM_CONFIGS])
def test_a_suite_config_comes_back_from_its_sam_template(where: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "original").mkdir()
    (tmp_path / "exported").mkdir()
    config = tmp_path / "original" / "apig.yaml"
    config.write_text(text, encoding="utf-8")
    assert_comes_back_through_sam(config, LAMBDAS, tmp_path / "exported")


@pytest.mark.parametrize(("config", "code_dir"), SAM_EXAMPLES)
def test_an_example_comes_back_from_its_sam_template(config: Path, code_dir: Path, tmp_path: Path) -> None:
    assert_comes_back_through_sam(config, code_dir, tmp_path)


# Served side by side


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def preflight(method: str, headers: str = "") -> dict[str, str]:
    asked = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": method}
    return asked | ({"Access-Control-Request-Headers": headers} if headers else {})


def json_body(value: object) -> tuple[dict[str, str], bytes]:
    return {"Content-Type": "application/json"}, json.dumps(value).encode()


def posted(method: str, path: str, value: object, headers: dict[str, str] | None = None) -> Call:
    content_type, body = json_body(value)
    return Call(method, path, {**content_type, **(headers or {})}, body)


#: Every route and method of config/apig.yaml, each kind of answer, and what matches no route.
SHOP_CALLS = [
    Call("GET", "/Prod/items/1", {"Origin": "http://localhost:5173"}),
    Call("GET", "/Prod/items/404"),
    posted("POST", "/Prod/items", {"name": "cup", "price": 3}),
    Call("GET", "/Prod/items/2"),
    Call("OPTIONS", "/Prod/items/1", preflight("GET")),
    Call("OPTIONS", "/Prod/items/1", preflight("DELETE", "X-Custom")),
    Call("PUT", "/Prod/items/1"),
    Call("GET", "/Prod/orders", {"Origin": "http://localhost:5173"}),
    Call("OPTIONS", "/Prod/orders", preflight("GET")),
    Call("POST", "/Prod/orders"),
    Call("HEAD", "/Prod/orders"),
    posted("POST", "/Prod/smartpath", {"name": "Ada"}, {"Origin": "http://localhost:5173"}),
    Call("POST", "/Prod/smartpath", {"Content-Type": "text/plain"}, b"plain words"),
    Call("POST", "/Prod/smartpath", {"Content-Type": "application/json"}, b"{not json"),
    Call("OPTIONS", "/Prod/smartpath", preflight("POST", "Content-Type")),
    Call("GET", "/Prod/broken"),
    Call("GET", "/Prod/a/b/c?x=1&x=2&empty="),
    Call("DELETE", "/Prod/anything/else"),
    Call("PATCH", "/Prod/upload", {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n\x00\xff"),
    Call("GET", "/Prod/"),
    Call("GET", "/Prod"),
    Call("GET", "/Beta/items/1"),
    Call("GET", "/"),
]
#: Every route and method of config/petshop.yaml: proxy and non-proxy Lambdas, a mock, an error mapped
#: by its selection pattern, and what matches no route.
#: The API keys config/petshop.yaml and pets-export.apig.yaml define, for their methods that require one.
PETSHOP_KEY = {"x-api-key": "petshop-demo-key-0123456789"}
PHOTOGRAPHER_KEY = {"x-api-key": "pets-photographer-key-01"}
PETSHOP_CALLS = [
    Call("GET", "/Prod/pets"),
    Call("GET", "/Prod/pets?species=dog"),
    Call("GET", "/Prod/pets/1"),
    Call("GET", "/Prod/pets/404"),
    posted("POST", "/Prod/pets", {"name": "Tom", "species": "cat"}),
    posted("POST", "/Prod/pets", {"name": "Tom", "species": "cat"}, PETSHOP_KEY),
    Call("GET", "/Prod/pets/2"),
    posted("POST", "/Prod/pets", {"name": "Tom"}, PETSHOP_KEY),
    Call("POST", "/Prod/pets", {"Content-Type": "text/plain", **PETSHOP_KEY}, b"a cat"),
    Call("GET", "/Prod/pets/1/photo"),
    Call("GET", "/Prod/health"),
    Call("DELETE", "/Prod/pets/1"),
    Call("OPTIONS", "/Prod/pets", preflight("GET")),
    Call("GET", "/Prod/pets/1/photo/large"),
    Call("GET", "/Test/pets"),
]
#: tests/fixtures' API exported from API Gateway: a function chosen per stage, a non-proxy method whose
#: error response maps the function's error through a Velocity template, Cognito and API-key security,
#: customised gateway responses, and a trigger's method under the document's resources.
PETS_EXPORT_CALLS = [
    Call("GET", "/live/pets?limit=5"),
    posted("POST", "/live/pets", {"name": "Tom", "species": "cat"}),
    posted("POST", "/live/pets", {"species": "cat"}),
    Call("OPTIONS", "/live/pets", preflight("POST", "Content-Type,Authorization")),
    Call("GET", "/live/pets/2"),
    Call("GET", "/beta/pets/2"),
    Call("GET", "/live/pets/2/photo"),
    Call("GET", "/live/pets/2/photo", PHOTOGRAPHER_KEY),
    Call("PUT", "/beta/pets/2/photo", {"Content-Type": "image/png", **PHOTOGRAPHER_KEY}, b"\x89PNG"),
    posted("POST", "/live/pets/2/adoption", {"by": "Ada"}),
    Call("GET", "/live/health"),
    Call("GET", "/live/pets/2/adoption"),
    Call("GET", "/dev/pets"),
]

#: Headers that differ between any two answers, whatever served them.
VOLATILE_HEADERS = {"date", "x-amzn-requestid", "x-amz-apigw-id", "x-amzn-trace-id", "content-length"}
#: What differs between any two requests in the event and the context: ids, times, the trace, and the
#: deployment's id, which AWS gives each deployment (an import is a new one).
VOLATILE_KEYS = {
    "requestId",
    "extendedRequestId",
    "requestTime",
    "requestTimeEpoch",
    "deploymentId",
    "X-Amzn-Trace-Id",
    "X-Amz-Cf-Id",
    "Via",
    # config/apig.yaml's smart handler returns the time its invocation has left.
    "remaining_ms",
}


def masked(value: object, port: int) -> object:
    """``value`` with what differs between any two requests replaced, and the server's port named."""
    if isinstance(value, dict):
        return {
            key: "<varies>" if key in VOLATILE_KEYS else masked(item, port) for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item, port) for item in value]
    if isinstance(value, str):
        return "<port>" if value == str(port) else value.replace(f":{port}", ":<port>")
    return value


def answer(server: LiveServer, call: Call) -> object:
    """What a client and the handler see of ``call``, and what the inspector says of it."""
    response = requests.request(
        call.method, server.url + call.path, headers=call.headers, data=call.body, timeout=10
    )
    try:
        body: object = response.json()
    except ValueError:
        body = response.content
    newest = requests.get(server.url + "/_emu/api/invocations?limit=1", timeout=10).json()
    record = newest[0] if newest else {}
    return masked(
        {
            "status": response.status_code,
            "headers": [
                (name, value)
                for name, value in response.headers.items()
                if name.lower() not in VOLATILE_HEADERS
            ],
            "body": body,
            "route": without_mock_name(record.get("route") or {}),
            "event": record.get("event"),
            "function": record.get("function"),
            "functionError": record.get("functionError"),
            "gatewayError": record.get("gatewayError"),
            "cors": record.get("cors"),
        },
        server.port,
    )


def without_mock_name(route: dict[str, Any]) -> dict[str, Any]:
    """A route as the inspector shows it, less the name of a mock or an ``integrations:`` entry: the
    emulator's label, which AWS cannot store (a Lambda integration's target is its function)."""
    return {
        key: value
        for key, value in route.items()
        if key != "target" or route["integration"] in ("lambda", "lambda-proxy")
    }


@contextmanager
def side_by_side(config: Path, code_dir: Path, folder: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """``config`` and the binding of its export, each served by ``apig-emu serve`` of its own (handlers
    keep state between requests, as a warm Lambda does: each side must have its own)."""
    (folder / "original").mkdir()
    (folder / "exported").mkdir()
    bound = exported_binding(config, code_dir, folder / "exported")
    arguments = ("--no-reload", "--isolation", "thread")
    started = [
        launch_server(folder / "original", config, *arguments, code_dir=code_dir),
        launch_server(folder / "exported", bound, *arguments, code_dir=code_dir),
    ]
    try:
        original, exported = (serving(server) for server in started)
        for server in (original, exported):
            # The inspector records from its first request on.
            requests.get(server.url + "/_emu/api/invocations", timeout=10).raise_for_status()
        yield original, exported
    finally:
        for server in started:
            server.stop()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "code_dir", "calls"),
    [
        pytest.param(APIG, ROOT, SHOP_CALLS, id="config/apig.yaml"),
        pytest.param(PETSHOP, ROOT, PETSHOP_CALLS, id="config/petshop.yaml"),
        pytest.param(
            FIXTURES / "pets-export.apig.yaml", LAMBDAS, PETS_EXPORT_CALLS, id="pets-export.apig.yaml"
        ),
    ],
)
def test_the_exported_api_answers_every_request_as_the_original_does(
    config: Path, code_dir: Path, calls: list[Call], tmp_path: Path
) -> None:
    with side_by_side(config, code_dir, tmp_path) as (original, exported):
        tables = [
            masked(
                [
                    without_mock_name(row)
                    for row in requests.get(server.url + "/_emu/api/routes", timeout=10).json()
                ],
                server.port,
            )
            for server in (original, exported)
        ]
        assert tables[1] == tables[0]
        for call in calls:
            expected = answer(original, call)
            assert answer(exported, call) == expected, str(call)
