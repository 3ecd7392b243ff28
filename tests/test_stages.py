"""``--stage NAME`` serves one stage of each API; ``--no-stage-prefix`` serves the APIs at the root, as a
custom domain with an empty base path mapping does on AWS (and ``sam local start-api`` locally)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import requests

from emulator.cli import main
from emulator.config import ConfigWarning
from emulator.testing import Harness
from tests.conftest import LAMBDAS, PYTESTER_ARGS
from tests.live import start_server

pytest_plugins = ["pytester"]

SAM = Path(__file__).parent / "fixtures" / "sam" / "template.yaml"

#: One API on two stages, and a second API whose paths the first one's could answer.
CONFIG = """
apis:
  shop:
    stages:
      dev: {variables: {color: blue}}
  admin: {}
functions:
  echo:
    handler: cases.echo_event
    triggers:
      - {api: shop, resource: "/items/{id}", method: GET, proxy: true, stage: Prod}
      - {api: shop, resource: /items, method: POST, proxy: true, stage: Prod}
  admin:
    handler: cases.echo_event
    triggers:
      - {api: admin, resource: /items/new, method: GET, proxy: true, stage: Prod}
      - {api: admin, resource: /reports, method: ANY, proxy: true, stage: Prod}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "apig.yaml"
    path.write_text(CONFIG)
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def urls(out: str) -> list[str]:
    return [
        line.split()[1] for line in out.splitlines()[1:] if line.startswith(("GET", "POST", "ANY", "OPTIONS"))
    ]


# --stage


def test_stage_serves_that_stage_of_each_api(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "routes", "--config", str(config), "--code-dir", str(LAMBDAS), "--stage", "dev"
    )
    assert code == 0
    assert urls(out) == ["http://localhost:3000/dev/items", "http://localhost:3000/dev/items/{id}"]
    assert (
        f"{config}:6: apis.admin: --stage dev: api 'admin' has no stage 'dev' (its stages: Prod), so it is not "
        "served"
    ) in err


def test_a_stage_no_api_has_is_an_error_with_the_stages_there_are(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "validate", "-t", str(SAM), "--stage", "prod")
    assert code == 1
    assert (
        f"{SAM}: --stage prod: no API has a stage 'prod' (did you mean 'Prod'?); the stages are, by api: "
        "api 'UsersApi': v1; api 'ServerlessRestApi': Prod"
    ) in err


def test_stage_picks_among_a_templates_apis(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "routes", "-t", str(SAM), "--stage", "Prod")
    assert code == 0
    assert urls(out) == ["http://localhost:3000/Prod/hello"]
    assert "--stage Prod: api 'UsersApi' has no stage 'Prod' (its stages: v1), so it is not served" in err


def test_the_harness_serves_one_stage(config: Path) -> None:
    with (
        pytest.warns(ConfigWarning, match="--stage dev: api 'admin' has no stage 'dev'"),
        Harness(config, code_dir=LAMBDAS, stage="dev") as apig,
    ):
        assert apig.get("/dev/items/3").json()["stageVariables"] == {"color": "blue"}
        assert apig.get("/Prod/items/3").status_code == 403


# --no-stage-prefix


def test_routes_at_the_root_show_urls_without_the_stage_and_report_clashes(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "routes", "--config", str(config), "--code-dir", str(LAMBDAS), "--no-stage-prefix"
    )
    assert code == 0
    assert urls(out) == [
        "http://localhost:3000/items",
        "http://localhost:3000/items/{id}",
        "http://localhost:3000/items/new",
        "http://localhost:3000/reports",
    ]
    lines = err.splitlines()
    assert (
        "--no-stage-prefix: api 'shop' has stages dev, Prod: at the root only its first, dev, answers "
        "(--stage Prod serves another)"
    ) in lines
    assert (
        "--no-stage-prefix: GET /items/new of api 'admin' (stage Prod) may be answered at the root by api "
        "'shop' (stage dev, GET /items/{id}), which comes first"
    ) in lines
    # ANY /reports and POST /items share no path with the other API: no clash.
    assert not [line for line in lines if "/reports" in line or "POST" in line]


def test_stage_settles_which_stage_answers_at_the_root(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "routes",
        "--config",
        str(config),
        "--code-dir",
        str(LAMBDAS),
        "--no-stage-prefix",
        "--stage",
        "dev",
    )
    assert code == 0
    assert urls(out) == ["http://localhost:3000/items", "http://localhost:3000/items/{id}"]
    assert "--no-stage-prefix" not in err


def test_at_the_root_the_first_api_answers_and_a_host_header_picks_another(config: Path) -> None:
    with Harness(config, code_dir=LAMBDAS, stage_prefix=False) as apig:
        shop, admin = (api.id for api in apig.definitions.apis.values())
        first = apig.get("/items/new").json()
        assert (first["resource"], first["requestContext"]["apiId"]) == ("/items/{id}", shop)
        picked = apig.get("/items/new", headers={"Host": f"{admin}.execute-api.localhost"}).json()
        assert (picked["resource"], picked["requestContext"]["apiId"]) == ("/items/new", admin)
        # A path only the second API has reaches it; the stage is no longer part of any path.
        assert apig.get("/reports").json()["requestContext"]["apiId"] == admin
        assert apig.get("/Prod/items/3").status_code == 403


def test_the_event_has_the_paths_aws_writes_for_a_custom_domain(config: Path) -> None:
    """Behind a custom domain whose empty base path maps to the stage, the request's path has no stage, and
    AWS writes it as it came in both ``path`` and ``requestContext.path``; the resource is the API's."""
    with (
        pytest.warns(ConfigWarning, match="api 'admin' has no stage 'dev'"),
        Harness(config, code_dir=LAMBDAS, stage_prefix=False, stage="dev") as apig,
    ):
        event = apig.get("/items/7").json()
        direct = apig.events.proxy("GET", "/items/7")
    for seen in (event, direct):
        assert seen["path"] == "/items/7"
        assert seen["resource"] == "/items/{id}"
        context = seen["requestContext"]
        assert (context["path"], context["resourcePath"], context["stage"]) == (
            "/items/7",
            "/items/{id}",
            "dev",
        )
        assert seen["stageVariables"] == {"color": "blue"}


@pytest.mark.slow
def test_serve_at_the_root(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, CONFIG, "--code-dir", str(LAMBDAS), "--no-stage-prefix", "--stage", "Prod"
    )
    try:
        event = requests.get(server.url + "/items/7", timeout=10).json()
        staged = requests.get(server.url + "/Prod/items/7", timeout=10)
    finally:
        server.stop()
    assert (event["path"], event["requestContext"]["path"], event["resource"]) == (
        "/items/7",
        "/items/7",
        "/items/{id}",
    )
    assert event["requestContext"]["stage"] == "Prod"
    assert staged.status_code == 403
    log = server.log()
    assert "http://localhost:" in log and "/items/{id}" in log
    assert "/Prod/items" not in log.split("Listening on")[0]
    assert "--no-stage-prefix: GET /items/new of api 'admin' (stage Prod) may be answered at the root" in log


@pytest.mark.slow
def test_serve_a_sam_template_at_the_root_as_sam_local_start_api_does(tmp_path: Path) -> None:
    from tests.test_cli import start_serve

    app = tmp_path / "app"
    shutil.copytree(SAM.parent, app)
    process, url = start_serve("--no-stage-prefix", cwd=app)
    try:
        hello = requests.get(url + "/hello", timeout=10).json()
        health = requests.get(url + "/health", timeout=10).json()
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert (hello["function"], hello["path"]) == ("HelloWorldFunction", "/hello")
    assert health["stage"] == "users-stage"


PLUGIN_TESTS = """
import requests


def test_root(apig):
    event = apig.get("/items/7").json()
    assert (event["path"], event["requestContext"]["path"], event["requestContext"]["stage"]) == (
        "/items/7", "/items/7", "dev"
    )
    assert apig.get("/dev/items/7").status_code == 403


def test_root_over_a_socket(apig_server):
    assert requests.get(apig_server.url + "/items/7", timeout=10).json()["path"] == "/items/7"
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["options", "ini"])
def test_the_pytest_plugin_serves_one_stage_at_the_root(pytester: pytest.Pytester, how: str) -> None:
    (pytester.path / "apig.yaml").write_text(CONFIG)
    pytester.makepyfile(test_app=PLUGIN_TESTS)
    args = [*PYTESTER_ARGS, "-W", "ignore::emulator.config.ConfigWarning"]
    if how == "options":
        pytester.makeini(f"[pytest]\napig_config = apig.yaml\napig_code_dir = {LAMBDAS}\n")
        args += ["--apig-stage", "dev", "--apig-no-stage-prefix"]
    else:
        pytester.makeini(
            textwrap.dedent(
                f"""\
                [pytest]
                apig_config = apig.yaml
                apig_code_dir = {LAMBDAS}
                apig_stage = dev
                apig_stage_prefix = false
                """
            )
        )
    pytester.runpytest(*args).assert_outcomes(passed=2)


def test_exports_own_stage_option_narrows_nothing_that_is_loaded(capsys: pytest.CaptureFixture[str]) -> None:
    """``export --stage`` picks what to export, as before: it is not serve's --stage."""
    code, _, err = run(
        capsys, "export", "--format", "openapi", "-t", str(SAM), "--api", "ServerlessRestApi", "--stage", "v1"
    )
    assert code == 2
    assert "apig-emu export: api 'ServerlessRestApi' has no stage 'v1'; its stages are: Prod" in err
    assert "--stage v1:" not in err
