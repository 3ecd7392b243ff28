"""Real documents, served: AWS's PetStore sample, an API exported from API Gateway, a Swagger 2.0 SAM body.

Each fixture (``tests/fixtures/openapi``) is bound by a YAML file beside it; its route table is checked
through ``apig-emu routes``, its warnings through ``validate``, and its methods are requested end to
end: MOCK methods answer, Lambda methods call the handlers of ``tests/lambdas``, HTTP methods answer
the documented 500 until HTTP integrations are executed.
"""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.app import create_app
from emulator.cli import main
from emulator.config import ConfigWarning, load_definitions
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.inspector import Recorder, inspector_routes
from emulator.runtime.threads import ThreadInvoker
from emulator.table import NON_PROXY_NOTE
from emulator.testing import GatewayClient, Harness
from tests.conftest import LAMBDAS, ROOT
from tests.upstream import Answer, Upstream

FIXTURES = Path(__file__).parent / "fixtures" / "openapi"
PETSTORE = FIXTURES / "petstore.apig.yaml"
PETSTORE_BACKEND = "http://petstore-demo-endpoint.execute-api.com"
PETS = FIXTURES / "pets-export.apig.yaml"
ORDERS = FIXTURES / "orders-swagger.apig.yaml"
NON_PROXY_NOTE = NON_PROXY_NOTE


def routes(capsys: pytest.CaptureFixture[str], config: Path, *options: str) -> tuple[int, str, str]:
    code = main(["routes", "--config", str(config), "--code-dir", str(LAMBDAS), *options])
    out, err = capsys.readouterr()
    return code, out, err.replace(f"{FIXTURES}/", "")


def validate(capsys: pytest.CaptureFixture[str], config: Path, *options: str) -> tuple[int, str, str]:
    code = main(["validate", "--config", str(config), "--code-dir", str(LAMBDAS), *options])
    out, err = capsys.readouterr()
    return code, out.replace(f"{FIXTURES}/", ""), err.replace(f"{FIXTURES}/", "")


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)  # each fixture's warnings are asserted by validate
        apig = Harness(request.param, code_dir=LAMBDAS)
    with apig:
        yield apig


# PetStore: HTTP and MOCK integrations, CORS preflights


def test_petstore_route_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = routes(capsys, PETSTORE)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "METHOD   URL                                      INTEGRATION     FUNCTION  CORS  API",
        "GET      http://localhost:3000/test               mock            -               petstore (evp92q1vut)",
        "GET      http://localhost:3000/test/pets          http            -         yes   petstore (evp92q1vut)",
        "OPTIONS  http://localhost:3000/test/pets          cors-preflight  -         yes   petstore (evp92q1vut)",
        "POST     http://localhost:3000/test/pets          http            -         yes   petstore (evp92q1vut)",
        "GET      http://localhost:3000/test/pets/{petId}  http            -         yes   petstore (evp92q1vut)",
        "OPTIONS  http://localhost:3000/test/pets/{petId}  cors-preflight  -         yes   petstore (evp92q1vut)",
    ]


def test_petstore_validates_without_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(capsys, PETSTORE, "--fail-on-warnings") == (
        0,
        "petstore.apig.yaml: 1 API(s), 0 function(s), no errors\n",
        "",
    )


@pytest.mark.parametrize("harness", [PETSTORE], indirect=True)
def test_petstore_mocks_answer(harness: Harness) -> None:
    page = harness.get("/test")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html"
    assert "<h1>Welcome to your Pet Store API</h1>" in page.text
    assert "color: #333;" in page.text  # CSS, not Velocity: served as written
    preflight = harness.options("/test/pets/1")
    assert preflight.status == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert (
        preflight.headers["Access-Control-Allow-Headers"] == "Content-Type,X-Amz-Date,Authorization,X-Api-Key"
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


def test_petstore_http_methods_call_their_backend(tmp_path: Path) -> None:
    """The console's example, its public backend swapped for a local one: never the internet in tests."""
    upstream = Upstream()
    upstream.respond = lambda received: Answer(body=b'[{"id": 1, "type": "dog", "price": 249.99}]')
    try:
        document = (FIXTURES / "petstore.yaml").read_text().replace(PETSTORE_BACKEND, upstream.url)
        (tmp_path / "petstore.yaml").write_text(document)
        (tmp_path / "petstore.apig.yaml").write_text(PETSTORE.read_text())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConfigWarning)
            apig = Harness(tmp_path / "petstore.apig.yaml")
        with apig:
            pets = apig.get("/test/pets?type=dog&page=2&ignored=1")
            assert (pets.status, pets.json()) == (200, [{"id": 1, "type": "dog", "price": 249.99}])
            assert pets.headers["Access-Control-Allow-Origin"] == "*"
            assert (upstream.last.method, upstream.last.target) == ("GET", "/petstore/pets?page=2&type=dog")
            assert apig.get("/test/pets/7").status == 200
            assert upstream.last.target == "/petstore/pets/7"
            assert apig.post("/test/pets", content=b'{"type": "cat"}').status == 200
            assert (upstream.last.method, upstream.last.body) == ("POST", b'{"type": "cat"}')
    finally:
        upstream.close()


# An API exported from API Gateway: Lambda proxy and non-proxy, Cognito, validators, a trigger


def test_exported_api_route_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = routes(capsys, PETS)
    assert code == 0
    rows = [
        ("GET", "health", "mock", "-", ""),
        ("GET", "pets", "lambda-proxy", "listPets", "yes"),
        ("OPTIONS", "pets", "cors-preflight", "-", "yes"),
        ("POST", "pets", "lambda (non-proxy)", "createPet", "yes"),
        ("GET", "pets/{petId}", "lambda-proxy", "{fn}", ""),
        ("POST", "pets/{petId}/adoption", "lambda-proxy", "adoptPet", ""),
        ("ANY", "pets/{petId}/photo", "lambda-proxy", "petPhoto", ""),
    ]
    # Its Cognito authorizer, API key and validators are all enforced: no method has a NOT YET mark.
    expected = [
        "METHOD   URL                                               INTEGRATION         FUNCTION    CORS  API"
    ]
    for stage, function in (("live", "getPet"), ("beta", "getPetBeta")):
        for verb, path, kind, target, cors in rows:
            url = f"http://localhost:3000/{stage}/{path}"
            line = f"{verb:8} {url:49} {kind:19} {target.replace('{fn}', function):11} {cors:5} pets (k7x2m9q4pw)"
            expected.append(line.rstrip())
    assert out.splitlines() == [
        *expected,
        "",
        NON_PROXY_NOTE,
    ]
    assert err == (
        "1 warning in the API definitions:\n"
        "pets-export.yaml:265: x-amazon-apigateway-minimum-compression-size: "
        "x-amazon-apigateway-minimum-compression-size is not supported yet and is ignored: responses are not "
        "compressed\n"
    )


def test_exported_api_warning_fails_with_fail_on_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(capsys, PETS)[:2] == (
        0,
        "pets-export.apig.yaml: 1 API(s), 6 function(s), no errors, 1 warning(s)\n",
    )
    code, out, err = validate(capsys, PETS, "--fail-on-warnings")
    assert (code, out) == (1, "")
    assert err == (
        "1 error in the API definitions:\n"
        "pets-export.yaml:265: x-amazon-apigateway-minimum-compression-size: "
        "x-amazon-apigateway-minimum-compression-size is not supported yet and is ignored: responses are not "
        "compressed\n"
        "    (a warning, made an error by fail-on-warnings, as AWS's import with failonwarnings=true)\n"
    )
    assert routes(capsys, PETS, "--fail-on-warnings")[:2] == (1, "")


@pytest.mark.parametrize("harness", [PETS], indirect=True)
def test_exported_api_served_end_to_end(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    assert harness.get("/live/pets?limit=1&species=dog").status == 401  # its Cognito authorizer
    # The methods ask for scopes: an access token carrying them.
    token = {"Authorization": harness.token("alice", groups=["staff"], scopes=["pets/read", "pets/write"])}
    listed = harness.get("/live/pets?limit=1&species=dog", headers=token)
    body = listed.json()
    claims = body.pop("authorizer")["claims"]
    assert body == {"pets": [{"id": "1", "name": "Rex", "species": "dog"}]}
    assert (claims["sub"], claims["token_use"], claims["cognito:groups"]) == ("alice", "access", "staff")
    created = harness.post("/live/pets", json={"name": "Kit", "species": "cat"}, headers=token)
    assert (created.status, created.json()) == (201, {"id": "3", "name": "Kit", "species": "cat"})
    assert created.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert harness.invocations_of("createPet")[-1].event == {"name": "Kit", "species": "cat"}
    calls = len(harness.invocations_of("createPet"))
    with caplog.at_level(logging.WARNING, logger="apig_emu.gateway"):
        refused = harness.post("/live/pets", json={"name": "Eel", "species": "eel"}, headers=token)
    # Its body-only validator checks the body against NewPet, whose enum has no eels: the function is not called.
    assert (refused.status, refused.json()) == (400, {"message": "Invalid request body"})
    assert len(harness.invocations_of("createPet")) == calls
    assert (
        "POST /live/pets -> 400: request validation failed: the body does not match model 'NewPet' "
        '(application/json): /species: instance value ("eel") not found in enum (possible values: ["dog","cat"])'
        in caplog.text
    )
    # The stage variable names each stage's function.
    assert harness.get("/live/pets/1", headers=token).json() == {"id": "1", "name": "Rex", "species": "dog"}
    assert harness.get("/beta/pets/2", headers=token).json() == {"beta": True, "id": "2", "stage": "beta"}
    assert harness.invocations[-1].function == "getPetBeta"
    # The document's api_key security: the key's usage plan serves the live stage, not beta.
    assert harness.delete("/live/pets/1/photo", headers=token).status == 403
    key = {"x-api-key": "pets-photographer-key-01", **token}
    assert harness.get("/beta/pets/1/photo", headers=key).status == 403
    assert harness.delete("/live/pets/1/photo", headers=key).json() == {
        "method": "DELETE",
        "resource": "/pets/{petId}/photo",
    }
    assert harness.get("/live/health", headers=token).json() == {"status": "ok"}
    assert harness.post("/live/pets/7/adoption", headers=token).json() == {"adopted": "7"}
    preflight = harness.options("/live/pets")
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,POST,OPTIONS"
    # The document's gateway responses apply.
    missing = harness.get("/live/nowhere", headers=token)
    assert missing.status == 404
    assert missing.json()["message"] == "no such route"
    assert missing.headers["Access-Control-Allow-Origin"] == "https://shop.example.com"


# Swagger 2.0 in JSON, as a SAM template's DefinitionBody


def test_swagger_route_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = routes(capsys, ORDERS)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        # Its Lambda authorizer, API key and validator are all enforced: nothing is NOT YET.
        "METHOD  URL                                                 INTEGRATION         FUNCTION             CORS  API",
        "GET     http://localhost:3000/Prod/orders                   lambda (non-proxy)  ListOrdersFunction         orders (bsnh5cgvur)",
        "POST    http://localhost:3000/Prod/orders                   lambda-proxy        CreateOrderFunction        orders (bsnh5cgvur)",
        "GET     http://localhost:3000/Prod/orders/{orderId}         lambda-proxy        GetOrderFunction           orders (bsnh5cgvur)",
        "POST    http://localhost:3000/Prod/orders/{orderId}/cancel  lambda-proxy        CancelOrderFunction        orders (bsnh5cgvur)",
        "ANY     http://localhost:3000/Prod/{proxy+}                 lambda-proxy        CatchAllFunction           orders (bsnh5cgvur)",
        "",
        NON_PROXY_NOTE,
    ]


@pytest.mark.parametrize("harness", [ORDERS], indirect=True)
def test_swagger_api_served_end_to_end(harness: Harness) -> None:
    listed = harness.get("/Prod/orders")
    # The static request template is the non-proxy function's event.
    assert listed.json()["event"] == {"source": "orders-api", "view": "summary"}
    # passthroughBehavior NEVER: a Content-Type no template matches is AWS's 415.
    unsupported = harness.get("/Prod/orders", headers={"Content-Type": "text/plain"})
    assert (unsupported.status, unsupported.json()) == (415, {"message": "Unsupported Media Type"})
    created = harness.post("/Prod/orders", json={"item": "cup", "quantity": 2}, headers={"X-Customer": "c-9"})
    assert created.json() == {"id": "o-2", "item": "cup", "quantity": 2, "status": "open", "customer": "c-9"}
    assert harness.get("/Prod/orders/o-1").status == 403
    assert (
        harness.get("/Prod/orders/o-1", headers={"x-api-key": "orders-partner-key-0001"}).json()["item"]
        == "teapot"
    )
    cancelled = harness.post("/Prod/orders/o-1/cancel?reason=late")
    assert cancelled.json() == {"cancelled": "o-1", "reason": "late"}
    # basePath /v1 is ignored: the stage is the first segment, and /v1/orders is the catch-all's.
    assert harness.get("/Prod/v1/orders").json() == {"path": "/v1/orders", "resource": "/{proxy+}"}


def test_the_readmes_worked_example_is_what_routes_prints_and_serves(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (ROOT / "README.md").read_text()
    shown = re.search(
        r"```console\n\$ apig-emu routes --config config/petshop.yaml\n(.*?)\$ curl", readme, re.DOTALL
    )
    assert shown is not None, (
        "the README's worked example starts with apig-emu routes --config config/petshop.yaml"
    )
    monkeypatch.chdir(ROOT)
    assert main(["routes", "--config", "config/petshop.yaml"]) == 0
    assert shown.group(1) == capsys.readouterr().out
    with Harness(ROOT / "config" / "petshop.yaml", code_dir=ROOT) as apig:
        # Authorization before validation, as on AWS: without its API key, the invalid body is refused 403.
        assert apig.post("/Prod/pets", content=b'{"name": "Tom"}').status == 403
        key = {"x-api-key": "petshop-demo-key-0123456789"}
        invalid = apig.post("/Prod/pets", content=b'{"name": "Tom"}', headers=key)
        assert (invalid.status, invalid.text) == (400, '{"message":"Invalid request body"}')
        assert not apig.invocations
        refused = apig.post("/Prod/pets", content=b'{"name": "", "species": "cat"}', headers=key)
        assert (refused.status, refused.text) == (400, '{"message": "a pet needs a name and a species"}')
        created = apig.post("/Prod/pets", json={"name": "Tom", "species": "cat"}, headers=key)
        assert created.status == 201
        assert apig.get(f"/Prod/pets/{created.json()['id']}").json()["name"] == "Tom"
        assert apig.get("/Prod/pets/1/photo").json() == {"photo": "https://photos.example.com/1.jpg"}
        assert apig.get("/Prod/health").json() == {"status": "open"}


def test_the_inspector_shows_each_routes_notes(tmp_path: Path) -> None:
    # A Cognito authorizer naming no user pool apig-emu can read: the one method using it carries the note.
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.0.1\ninfo: {title: iam, version: '1'}\n"
        "components:\n  securitySchemes:\n    pool:\n      type: apiKey\n      name: Authorization\n"
        "      in: header\n      x-amazon-apigateway-authtype: cognito_user_pools\n"
        "      x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: [users]}\n"
        "paths:\n"
        "  /signed:\n    get:\n      security: [{pool: []}]\n"
        "      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{\"statusCode\": 200}'}}\n"
        "  /open:\n    get:\n"
        "      x-amazon-apigateway-integration: {type: mock, requestTemplates: {application/json: '{\"statusCode\": 200}'}}\n"
    )
    (tmp_path / "apig.yaml").write_text("apis:\n  iam: {openapi: api.yaml, stages: {Prod: {}}}\n")
    definitions = load_definitions(tmp_path / "apig.yaml", code_dir=LAMBDAS)
    gateway = Gateway(deploy(definitions), invoker=ThreadInvoker())
    with GatewayClient(create_app(gateway, routes=inspector_routes(Recorder(capacity=5)))) as client:
        rows = {
            (row["method"], row["resource"]): row["notes"] for row in client.get("/_emu/api/routes").json()
        }
        page = client.get("/_emu/").text
        client.run(gateway.invoker.aclose)
    note = (
        "authorizer 'pool' (COGNITO_USER_POOLS) names no user pool ARN apig-emu can read (users); every request "
        "answers 401"
    )
    assert rows[("GET", "/signed")] == [note]
    assert rows[("GET", "/open")] == []
    assert f'title="not yet: {html.escape(note)}"' in page
