"""CloudFormation stacks served as they are: the shape an IDE deploys (RestApi, Resource, Method, Deployment,
Stage, a Lambda function and its permission), from ``tests/fixtures/cloudformation``."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from emulator.cli import main
from emulator.config import ConfigWarning, load
from emulator.table import NON_PROXY_NOTE
from emulator.testing import Harness

FIXTURE = Path(__file__).parent / "fixtures" / "cloudformation"
STACK = FIXTURE / "stack.yaml"


@pytest.fixture
def apig() -> Iterator[Harness]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConfigWarning)  # the Runtime warning, on another interpreter
        harness = Harness(STACK)
    with harness:
        yield harness


def test_route_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--config", str(STACK)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "METHOD  URL                                         INTEGRATION         FUNCTION        CORS  API",
        "GET     http://localhost:3000/dev                   mock                -                     OrdersApi (uy9l6cqlcq)",
        "ANY     http://localhost:3000/dev/inline            lambda-proxy        InlineFunction        OrdersApi (uy9l6cqlcq)",
        "POST    http://localhost:3000/dev/orders            lambda (non-proxy)  OrdersFunction        OrdersApi (uy9l6cqlcq)",
        "GET     http://localhost:3000/dev/orders/{orderId}  lambda-proxy        OrdersFunction        OrdersApi (uy9l6cqlcq)",
        "",
        NON_PROXY_NOTE,
    ]


def test_recognised_as_cloudformation(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "template.yml").write_text(
        STACK.read_text().replace("Code: src/", f"Code: {FIXTURE / 'src'}")
    )
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    out, err = capsys.readouterr()
    assert "apig-emu: using template.yml, a CloudFormation template (no --config given)" in err
    assert "1 API(s), 2 function(s), no errors" in out


def test_the_proxy_method_through_the_resource_tree(apig: Harness) -> None:
    answer = apig.get("/dev/orders/42")
    assert answer.status_code == 200
    assert answer.json() == {"order": "42", "greeting": "hi", "function": "OrdersFunction"}


def test_the_non_proxy_method_and_its_integration_response(apig: Harness) -> None:
    answer = apig.post("/dev/orders", json={"item": "book"})
    assert answer.status_code == 201
    assert answer.json()["created"] == {"item": "book"}
    assert answer.json()["api"] == "uy9l6cqlcq"  # Ref of the RestApi: its id


def test_the_mock_on_the_root_and_the_inline_function(apig: Harness) -> None:
    assert apig.get("/dev").json() == {"status": "ok"}
    answer = apig.delete("/dev/inline")
    assert (answer.status_code, answer.text) == (200, "inline DELETE")


def test_the_model_holds_the_stack() -> None:
    loaded = load(STACK)
    api = loaded.definitions.apis["OrdersApi"]
    assert api.endpoint_type == "REGIONAL"
    assert api.binary_media_types == ("application/pdf",)
    assert api.stages["dev"].variables == {"greeting": "hi"}
    method = api.resources["/orders/{orderId}"].methods["GET"]
    assert method.request_parameters == {"method.request.path.orderId": True}
    post = api.resources["/orders"].methods["POST"]
    assert [response.status for response in post.integration.responses] == ["201"]
    assert list(post.method_responses) == ["201"]


def _errors(tmp_path: Path, old: str, new: str) -> list[str]:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.read_text().replace(old, new))
    (tmp_path / "src").symlink_to(FIXTURE / "src")
    return sorted(str(error).replace(f"{tmp_path}/", "") for error in load(path).errors)


def test_code_in_s3_is_an_error_with_its_line(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "Code: src/", "Code: {S3Bucket: b, S3Key: k.zip}")
    assert errors[0].startswith(
        "stack.yaml:100: Resources.OrdersFunction.Properties.Code: Code in S3 or a container image cannot be "
        "read locally"
    )


def test_a_parent_that_is_not_a_resource_is_refused(tmp_path: Path) -> None:
    errors = _errors(tmp_path, "ParentId: !Ref OrdersResource", "ParentId: abc123")
    assert errors[0].startswith(
        "stack.yaml:28: Resources.OrderResource.Properties.ParentId: ParentId 'abc123' is neither a Resource"
    )


def test_an_integration_naming_no_function_is_refused(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        "functions/${InlineFunction.Arn}",
        "functions/arn:aws:lambda:us-east-1:123456789012:function:Gone",
    )
    assert errors == [
        "stack.yaml:147: Resources.InlineMethod.Properties.Integration.Uri: the Uri names function 'Gone', which "
        "is not a function of the template"
    ]


@pytest.mark.slow
def test_serve_answers_the_stack(tmp_path: Path) -> None:
    from tests.test_cli import start_serve

    process, url = start_serve("-t", str(STACK), cwd=tmp_path)
    try:
        assert requests.get(url + "/dev/orders/7", timeout=10).json()["order"] == "7"
        assert requests.get(url + "/dev", timeout=10).json() == {"status": "ok"}
    finally:
        process.terminate()
        process.communicate(timeout=10)
