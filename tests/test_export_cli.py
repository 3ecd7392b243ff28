"""``apig-emu export`` as users run it: what goes to stdout, to --output, to stderr, and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from emulator.cli import main
from tests.export_checks import cfn_lint_problems, openapi_problems

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ["--config", str(ROOT / "config" / "apig.yaml"), "--code-dir", str(ROOT)]
LAMBDAS = Path(__file__).parent / "lambdas"
TWO_APIS = """
apis:
  shop:
    stages:
      Prod: {variables: {table: items-prod}}
      Beta: {variables: {table: items-beta}}
  admin: {}
functions:
  items:
    handler: cases.echo
    triggers:
      - {api: shop, resource: /items, method: GET, stage: Prod, proxy: true}
      - {api: shop, resource: /items, method: POST, stage: Beta, proxy: true}
      - {api: admin, resource: /users, method: GET, proxy: true}
"""


def two_apis(tmp_path: Path) -> list[str]:
    config = tmp_path / "apig.yaml"
    config.write_text(textwrap.dedent(TWO_APIS))
    return ["--config", str(config), "--code-dir", str(LAMBDAS)]


def test_openapi_goes_to_stdout_as_yaml_and_the_notes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "openapi", *EXAMPLE]) == 0
    out, err = capsys.readouterr()
    document = yaml.safe_load(out)
    assert openapi_problems(document) == []
    assert document["info"]["title"] == "shop"
    assert err.splitlines() == [
        "apig-emu export: note: stage Prod: its variables (table) are not part of an OpenAPI document: "
        "set them on the stage (the SAM export has them)",
        f"apig-emu export: note: GET /orders: body_file {ROOT / 'config' / 'mocks' / 'orders.json'} is written "
        "as its current contents: AWS stores text, so later edits to the file need another export",
        "apig-emu export: note: GET /orders: latency_ms 150 of mock 'orders' is left out: the delay is the "
        "emulator's own, AWS's MOCK answers at once",
    ]


def test_a_json_output_file_gets_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "api.json"
    assert main(["export", "--format", "openapi", "--output", str(output), *EXAMPLE]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    document = json.loads(output.read_text())
    assert openapi_problems(document) == []
    assert err.splitlines()[-1] == f"apig-emu export: wrote API 'shop' as openapi to {output}"


def test_region_and_account_id_build_the_lambda_arns(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "export",
                "--format",
                "openapi",
                "--region",
                "ap-south-1",
                "--account-id",
                "000011112222",
                *EXAMPLE,
            ]
        )
        == 0
    )
    document = yaml.safe_load(capsys.readouterr().out)
    uri = document["paths"]["/smartpath"]["post"]["x-amazon-apigateway-integration"]["uri"]
    assert uri == (
        "arn:aws:apigateway:ap-south-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:ap-south-1:000011112222:function:smart/invocations"
    )


def test_the_defaults_are_the_emulators_account_and_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "openapi", *EXAMPLE]) == 0
    assert "arn:aws:lambda:us-east-1:123456789012:function:smart/invocations" in capsys.readouterr().out


def test_a_sam_template_file_has_code_uris_relative_to_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "deploy" / "template.yaml"
    output.parent.mkdir()
    assert (
        main(["export", "--format", "sam", "--output", str(output), "--runtime", "python3.12", *EXAMPLE]) == 0
    )
    capsys.readouterr()
    text = output.read_text()
    assert cfn_lint_problems(text) == []
    template = yaml.safe_load(text)
    smart = template["Resources"]["SmartFunction"]["Properties"]
    assert smart["Runtime"] == "python3.12"
    assert (output.parent / smart["CodeUri"]).resolve() == ROOT
    assert (
        "Fn::Sub: arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${SmartFunction.Arn}/invocations"
        in text
    )


def test_a_sam_template_on_stdout_has_code_uris_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT / "config")
    assert main(["export", "--format", "sam", *EXAMPLE]) == 0
    template = yaml.safe_load(capsys.readouterr().out)
    assert template["Resources"]["SmartFunction"]["Properties"]["CodeUri"] == ".."


def test_the_only_api_needs_no_api_option_but_several_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = two_apis(tmp_path)
    assert main(["export", "--format", "openapi", *config]) == 2
    assert capsys.readouterr().err == (
        "apig-emu export: the definitions have 2 apis: shop, admin; choose one with --api NAME\n"
    )
    assert main(["export", "--format", "openapi", "--api", "admin", *config]) == 0
    assert list(yaml.safe_load(capsys.readouterr().out)["paths"]) == ["/users"]


def test_an_unknown_api_is_an_error_listing_the_apis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "sam", "--api", "shp", *two_apis(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "apig-emu export: unknown api 'shp' (did you mean 'shop'?); the apis are: shop, admin\n"


def test_an_unknown_stage_is_an_error_listing_the_stages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["export", "--format", "openapi", "--api", "shop", "--stage", "prod", *two_apis(tmp_path)]) == 2
    )
    assert capsys.readouterr().err == (
        "apig-emu export: api 'shop' has no stage 'prod' (did you mean 'Prod'?); its stages are: Prod, Beta\n"
    )


def test_stage_picks_the_openapi_server_and_the_sam_stage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ["--api", "shop", *two_apis(tmp_path)]
    assert main(["export", "--format", "openapi", *config]) == 0
    servers = yaml.safe_load(capsys.readouterr().out)["servers"]
    assert [server["variables"]["basePath"]["default"] for server in servers] == ["Prod", "Beta"]
    assert main(["export", "--format", "openapi", "--stage", "Beta", *config]) == 0
    servers = yaml.safe_load(capsys.readouterr().out)["servers"]
    assert [server["variables"]["basePath"]["default"] for server in servers] == ["Beta"]
    # A SAM template deploys one stage: with two, it must be chosen.
    assert main(["export", "--format", "sam", *config]) == 2
    assert capsys.readouterr().err == (
        "apig-emu export: api 'shop' has 2 stages: Prod, Beta; a SAM template deploys one: "
        "choose it with --stage NAME\n"
    )
    assert main(["export", "--format", "sam", "--stage", "Beta", *config]) == 0
    properties = yaml.safe_load(capsys.readouterr().out)["Resources"]["ShopApi"]["Properties"]
    assert (properties["StageName"], properties["Variables"]) == ("Beta", {"table": "items-beta"})


def test_an_unwritable_output_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "missing" / "api.yaml"
    assert main(["export", "--format", "openapi", "--output", str(output), *EXAMPLE]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1] == f"apig-emu export: cannot write {output}: No such file or directory"
    assert not output.parent.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--region", "us-east"],
            "invalid region 'us-east'; expected a region name like us-east-1 or eu-west-2",
        ),
        (["--account-id", "1234"], "invalid account id '1234'; expected the 12 digits of an AWS account id"),
        (["--runtime", "python3.12"], "--runtime applies to --format sam and cloudformation only"),
    ],
)
def test_bad_options_are_errors_naming_them(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "--format", "openapi", *options, *EXAMPLE]) == 2
    assert capsys.readouterr().err == f"apig-emu export: {message}\n"


def test_a_bad_runtime_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "sam", "--runtime", "node18", *EXAMPLE]) == 2
    assert (
        "invalid runtime 'node18'; expected a Lambda Python runtime like python3.12"
        in capsys.readouterr().err
    )


def test_a_format_is_required_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["export", "--format", "swagger", *EXAMPLE])
    assert exited.value.code == 2
    assert (
        "argument --format: invalid choice: 'swagger' (choose from 'openapi', 'sam', 'cloudformation')"
        in capsys.readouterr().err
    )


def test_broken_definitions_are_reported_as_every_command_reports_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "apig.yaml"
    config.write_text("apis:\n  shop: {endpoint_type: SIDEWAYS}\n")
    assert main(["export", "--format", "openapi", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "unknown value 'SIDEWAYS'" in err


def test_the_document_alone_goes_down_a_pipe() -> None:
    """Run as users do, the stdout of ``apig-emu export`` is a document another tool can read."""
    done = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "export", "--format", "sam", *EXAMPLE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert yaml.safe_load(done.stdout)["Transform"] == "AWS::Serverless-2016-10-31"
    assert "latency_ms 150" in done.stderr


def test_the_readmes_sample_is_what_export_writes(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploying to AWS: `apig-emu export`") :]
    block = next(
        block for block in section.split("```yaml\n")[1:] if block.lstrip().startswith("/smartpath:")
    )
    sample = yaml.safe_load(textwrap.dedent(block.split("```")[0]))
    assert main(["export", "--format", "openapi", *EXAMPLE]) == 0
    document = yaml.safe_load(capsys.readouterr().out)
    assert sample["/smartpath"]["post"] == document["paths"]["/smartpath"]["post"]
