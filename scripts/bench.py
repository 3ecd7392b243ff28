#!/usr/bin/env python3
"""Side-by-side benchmark: a bare Starlette app against apig-emu, under identical server settings.

    python3 scripts/dev.py bench [--duration 3] [--rounds 5] [--connections 16] [--json results.json]
    .venv/bin/python scripts/bench.py ...       # the same, in a venv that is already set up

Every server is one uvicorn process with uvloop and httptools, without access log or proxy-header
rewriting; the load comes from ``wrk`` (Debian's package: ``apt-get install wrk``; macOS: ``brew
install wrk``), one thread and ``--connections`` connections. The baseline is a Starlette app whose
plain ``def`` endpoint calls the same handler function as apig-emu's proxy trigger (Starlette runs it
in its thread pool: what any server pays to keep a blocking handler off the event loop). apig-emu
runs as users run it, with ``apig-emu serve`` (inspector on, no reload), ``--quiet`` unless the
variant says "logs on": then the log (START, the handler's output, END, REPORT and the access line
for every request) goes to ``/dev/null``, or with "to a pipe" to a pipe that a ``cat`` process
drains, as a terminal would.

All servers start first and are warmed up. In each round every variant runs right next to a run of
the baseline (before it in even rounds, after it in odd ones), and the rounds start one variant
later each, so that drift on a shared machine hits all alike. The table shows each variant's median
over the rounds, and its ratio to the baseline: the median of its ratios to the baseline run beside
it (the machine's slow seconds move both); comparisons between variants divide those ratios.

It also measures the time from ``apig-emu serve`` to its first answered request (and to its first
answered invocation, a worker's cold start included), the gateway process's memory at idle, and a
route lookup's cost in this process at 1 and 1,000 resources; the same for an API imported from a
500-path OpenAPI document (as API Gateway exports one, in JSON and in YAML), whose routes are served
by the same router as the YAML's (a wrk variant shows its requests cost the same). Each start also
reports the CPU time the server used until its first answer: on a shared machine the wall clock
mostly measures the other work. ``--start-only`` measures the start-up figures alone, without wrk. ``--serverless-offline`` adds a row
for the Docker-free isolated peer, serverless-offline's Python runner (npm installs it on first use).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "scripts" / "bench_app"

#: The mix: a proxy call, a non-proxy call, the CORS preflight of the latter, and a 403 miss.
MIX_LUA = """
local requests = {
  wrk.format("GET", "/Prod/bench"),
  wrk.format("POST", "/Prod/bench", {["Content-Type"] = "application/json"}, '{"a": 1}'),
  wrk.format("OPTIONS", "/Prod/bench", {["Origin"] = "http://localhost:8080",
                                        ["Access-Control-Request-Method"] = "POST"}),
  wrk.format("GET", "/Prod/missing/route"),
}
local i = 0
request = function()
  i = i % #requests + 1
  return requests[i]
end
"""

#: The non-proxy call whose request and response templates run on every request (``write_mapped_config``).
MAPPED_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"item": "tea", "quantity": 2, "tags": ["green", "loose"]}'
"""

#: A request template as teams write them: the body under a key, a few $context values and a parameter.
MAPPED_REQUEST_TEMPLATE = """{
  "order": $input.json('$'),
  "item": "$util.escapeJavaScript($input.path('$.item'))",
  "stage": "$context.stage",
  "requestId": "$context.requestId",
  "source": "$input.params('source')"
}"""
#: And a response template reading the function's answer.
MAPPED_RESPONSE_TEMPLATE = """#set($answer = $input.path('$'))
{"ok": $answer.ok, "requestId": "$context.requestId"}"""


@dataclass
class Variant:
    name: str
    command: list[str]
    port: int
    script: Path | None = None
    #: Where the server starts (``sls`` reads ``serverless.yml`` from its working directory).
    cwd: Path | None = None
    #: Where the server's stderr goes: ``/dev/null``, or a pipe a reader drains (``"pipe"``).
    log: str = "devnull"
    #: Whether every answer must be a 2xx (the mix's miss is a 403 by design).
    only_2xx: bool = True
    runs: list[Figures] = field(default_factory=list)
    #: The baseline's run beside each of this variant's runs.
    beside: list[Figures] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/Prod/bench"


@dataclass
class Figures:
    requests_per_s: float
    p50_ms: float
    p99_ms: float


@dataclass
class Row:
    variant: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    ratio: float
    #: Each round's ratio to the baseline run beside it (for the baseline: each run's requests/s).
    rounds: list[float]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, resources: int) -> Path:
    """An API of ``resources`` resources; the benchmarked one, ``/bench``, is the first.

    ``/bench`` has a proxy ``GET``, a non-proxy ``POST`` with CORS and so its ``OPTIONS`` preflight;
    the others alternate between a literal ``/rN`` and a parameter ``/rN/{id}``, each with a ``GET``.
    """
    lines = [
        "apis:",
        "  bench: {}",
        "functions:",
        "  proxy:",
        "    handler: bench_handlers.proxy",
        "    triggers:",
        "      - {api: bench, resource: /bench, method: GET, proxy: true}",
    ]
    for index in range(resources - 1):
        resource = f"/r{index // 2}" if index % 2 == 0 else f"/r{index // 2}/{{id}}"
        lines.append(f"      - {{api: bench, resource: '{resource}', method: GET, proxy: true}}")
    lines += [
        "  custom:",
        "    handler: bench_handlers.custom",
        "    triggers:",
        "      - {api: bench, resource: /bench, method: POST, cors: true}",
    ]
    path = folder / f"bench-{resources}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def openapi_document(paths: int) -> dict[str, object]:
    """A document as API Gateway exports one: ``paths`` paths, ``/bench`` first, then ``/rN`` and ``/rN/{id}``.

    Every path has a Lambda proxy ``GET`` behind a Cognito authorizer; every other one also a non-proxy
    ``POST`` with a request body model, and a CORS preflight, as the console's "Enable CORS" exports it.
    """
    lambda_uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
    )
    document: dict[str, object] = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "2024-01-01T00:00:00Z"},
        "servers": [{"url": "https://abcdef1234.execute-api.us-east-1.amazonaws.com/{basePath}",
                     "variables": {"basePath": {"default": "Prod"}}}],
        "components": {
            "schemas": {"Empty": {"title": "Empty Schema", "type": "object"},
                        "Item": {"type": "object", "properties": {"id": {"type": "string"}}}},
            "securitySchemes": {"Pool": {
                "type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": [f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{BENCH_POOL}"]}}},
        },
    }  # fmt: skip
    found: dict[str, object] = {}
    for index in range(paths):
        path = "/bench" if index == 0 else f"/r{index // 2}" if index % 2 else f"/r{index // 2}/{{id}}"
        parameters = (
            [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
            if "{id}" in path
            else []
        )
        item: dict[str, object] = {
            "get": {
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "200 response",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                    }
                },
                "security": [{"Pool": []}],
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": lambda_uri.format("proxy"),
                    "responses": {"default": {"statusCode": "200"}},
                    "passthroughBehavior": "when_no_match",
                },
            }
        }
        if index % 2 == 0:
            item["post"] = {
                "parameters": parameters,
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}
                },
                "responses": {
                    "200": {
                        "description": "200 response",
                        "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}},
                    }
                },
                "x-amazon-apigateway-integration": {
                    "type": "aws",
                    "httpMethod": "POST",
                    "uri": lambda_uri.format("custom"),
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseParameters": {
                                "method.response.header.Access-Control-Allow-Origin": "'*'"
                            },
                        }
                    },
                    "passthroughBehavior": "when_no_match",
                },
            }
            item["options"] = {
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "200 response",
                        "headers": {
                            name: {"schema": {"type": "string"}}
                            for name in (
                                "Access-Control-Allow-Origin",
                                "Access-Control-Allow-Methods",
                                "Access-Control-Allow-Headers",
                            )
                        },
                    }
                },
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "passthroughBehavior": "when_no_match",
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseParameters": {
                                "method.response.header.Access-Control-Allow-Methods": "'GET,POST,OPTIONS'",
                                "method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
                                "method.response.header.Access-Control-Allow-Origin": "'*'",
                            },
                        }
                    },
                },
            }
        found[path] = item  # fmt: skip
    document["paths"] = found
    return document


def write_openapi_config(folder: Path, paths: int, suffix: str) -> Path:
    """A config binding a ``paths``-path document (``.json`` or ``.yaml``) to the api ``bench``."""
    document = folder / f"bench-{paths}{suffix}"
    data = openapi_document(paths)
    if suffix == ".json":
        document.write_text(json.dumps(data, indent=2) + "\n")
    else:
        import yaml

        document.write_text(yaml.safe_dump(data, sort_keys=False))
    config = folder / f"bench-openapi-{paths}{suffix.replace('.', '-')}.yaml"
    config.write_text(
        f"apis:\n  bench: {{openapi: {document.name}, stages: {{Prod: {{}}}}}}\n"
        "functions:\n  proxy: {handler: bench_handlers.proxy}\n  custom: {handler: bench_handlers.custom}\n"
        f"user_pools:\n  {BENCH_POOL}: {{}}\n"
    )
    return config


def token_script(config: Path) -> tuple[str, Path]:
    """A valid token from the local issuer of ``config``'s project (as ``apig-emu token`` makes it), and a wrk
    script sending it."""
    from emulator.auth.tokens import mint
    from emulator.config import load_definitions

    token = mint(load_definitions(config, code_dir=APP_DIR), "bench-user", expires_in=86400)
    script = config.with_name(f"{config.stem}-token.lua")
    script.write_text(f'wrk.headers["Authorization"] = "{token}"\n')
    return token, script


def write_http_proxy_config(folder: Path, backend_port: int) -> Path:
    """``/bench`` as an HTTP_PROXY integration in front of the baseline's server: the cost of the gateway's
    hop (the call through the shared HTTP client) on top of the same handler."""
    document = folder / "bench-http-proxy.json"
    integration = {
        "type": "http_proxy",
        "httpMethod": "GET",
        "uri": f"http://127.0.0.1:{backend_port}/Prod/bench",
    }
    data = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "paths": {"/bench": {"get": {"x-amazon-apigateway-integration": integration}}},
    }
    document.write_text(json.dumps(data, indent=2) + "\n")
    config = folder / "bench-http-proxy.yaml"
    config.write_text(f"apis:\n  bench: {{openapi: {document.name}, stages: {{Prod: {{}}}}}}\n")
    return config


def write_mapped_config(folder: Path) -> Path:
    """A non-proxy ``POST /bench`` whose request and response mapping templates render on every request."""
    lambda_uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:custom/invocations"
    )
    document = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "paths": {
            "/bench": {
                "post": {
                    "responses": {"200": {"description": "200 response"}},
                    "x-amazon-apigateway-integration": {
                        "type": "aws",
                        "httpMethod": "POST",
                        "uri": lambda_uri,
                        "requestTemplates": {"application/json": MAPPED_REQUEST_TEMPLATE},
                        "passthroughBehavior": "when_no_templates",
                        "responses": {
                            "default": {
                                "statusCode": "200",
                                "responseTemplates": {"application/json": MAPPED_RESPONSE_TEMPLATE},
                            }
                        },
                    },
                }
            }
        },
    }
    (folder / "bench-mapped.json").write_text(json.dumps(document, indent=2) + "\n")
    config = folder / "bench-mapped.yaml"
    config.write_text(
        "apis:\n  bench: {openapi: bench-mapped.json, stages: {Prod: {}}}\n"
        "functions:\n  custom: {handler: bench_handlers.custom}\n"
    )
    return config


#: The pool the Cognito rows' authorizer names: the built-in local issuer's, as in a project's tests.
BENCH_POOL = "us-east-1_Bench1"


#: The authorizer rows: none, Cognito with a valid token, a Lambda TOKEN authorizer whose answer is cached.
AUTH_KINDS = {
    "open": "no authorizer",
    "cognito": "Cognito, valid token",
    "lambda": "Lambda authorizer, cached",
    "iam": "AWS_IAM, valid SigV4 signature",
}

#: The IAM row's caller; AWS's documentation example key.
BENCH_KEY, BENCH_SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#: The IAM row's signature is made once, when the bench starts, for wrk to replay: the gateway's clock is
#: the machine's, so it is dated this far ahead to stay within AWS's five minutes for nine minutes, which
#: a run with ``--only`` never outlasts (a signature that expired shows as non-2xx answers: wrk's run fails).
SIGNED_AHEAD_S = 270


def signature_script(config: Path, port: int) -> Path:
    """A wrk script sending a valid SigV4 signature of ``GET /Prod/bench`` on ``port``, botocore's, as
    ``Harness.signer`` makes it: the ``Authorization`` and ``X-Amz-Date`` headers a client sends."""
    from emulator.testing.signing import SigV4Signer

    signer = SigV4Signer(BENCH_KEY, BENCH_SECRET, now=lambda: time.time() + SIGNED_AHEAD_S)
    host = f"127.0.0.1:{port}"
    headers = signer.sign("GET", f"http://{host}/Prod/bench", {"host": host})
    script = config.with_name(f"{config.stem}-signed.lua")
    script.write_text("".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in headers.items()))
    return script


def write_auth_config(folder: Path, kind: str) -> tuple[Path, Path]:
    """``/bench``'s proxy GET behind a Cognito or a Lambda authorizer, or the same document without one; and
    the wrk script that sends a valid token (to all, so that the requests are the same bytes).

    The token comes from the local issuer of the config's project, as ``apig-emu token`` makes it; the
    Lambda authorizer allows it for the stage and its answer is cached (300 s), as a real one's would be.
    """
    name = kind
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:proxy/invocations"
    )
    scheme = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "cognito_user_pools",
        "x-amazon-apigateway-authorizer": {
            "type": "cognito_user_pools",
            "providerARNs": [f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{BENCH_POOL}"],
        },
    }
    get: dict[str, object] = {
        "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
    }
    custom = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": "token",
            "authorizerUri": uri.replace("function:proxy", "function:authorizer"),
            "authorizerResultTtlInSeconds": 300,
        },
    }
    if kind == "cognito":
        get["security"] = [{"pool": []}]
    elif kind == "lambda":
        get["security"] = [{"custom": []}]
    elif kind == "iam":
        get["x-amazon-apigateway-auth"] = {"type": "AWS_IAM"}
    document = {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "components": {"securitySchemes": {"pool": scheme, "custom": custom}},
        "paths": {"/bench": {"get": get}},
    }
    project = folder / name
    project.mkdir(parents=True)
    (project / "api.json").write_text(json.dumps(document))
    config = project / "apig.yaml"
    config.write_text(
        "apis:\n  bench: {openapi: api.json, stages: {Prod: {}}}\n"
        "functions:\n  proxy: {handler: bench_handlers.proxy}\n  authorizer: {handler: bench_handlers.authorizer}\n"
        f"user_pools:\n  {BENCH_POOL}: {{}}\n"
        f"iam:\n  credentials:\n    - {{access_key_id: {BENCH_KEY}, secret_access_key: {BENCH_SECRET}, "
        "user_arn: 'arn:aws:iam::123456789012:user/bench'}\n"
    )
    return config, token_script(config)[1]


def openapi_routes_of(paths: int) -> int:
    """A ``GET`` on every path, a ``POST`` and an ``OPTIONS`` on every other one."""
    return paths + 2 * ((paths + 1) // 2)


def routes_of(resources: int) -> int:
    """``GET``, ``POST`` and ``OPTIONS`` on ``/bench``, a ``GET`` on each other resource."""
    return 3 + (resources - 1)


def apig_command(config: Path, port: int, isolation: str, *, quiet: bool = True) -> list[str]:
    return [
        sys.executable, "-m", "emulator.cli", "serve",
        "--config", str(config), "--code-dir", str(APP_DIR), "--port", str(port),
        "--isolation", isolation, "--no-reload", *(["--quiet"] if quiet else []),
    ]  # fmt: skip


def baseline_command(port: int) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(APP_DIR), "bench_baseline:app",
        "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
        "--no-proxy-headers",
        "--log-level", "warning",
    ]  # fmt: skip


#: serverless-offline's Python runner, the Docker-free isolated peer: installed on first use, kept here.
SERVERLESS_OFFLINE_DIR = Path.home() / ".cache" / "apig-emu" / "bench-serverless-offline"
SERVERLESS_YML = """\
service: apig-bench
frameworkVersion: "3"
provider: {name: aws, runtime: python3.11, stage: Prod, region: us-east-1}
functions:
  proxy:
    handler: bench_handlers.proxy
    events:
      - http: {path: bench, method: get}
plugins: [serverless-offline]
"""


def serverless_offline_command(port: int) -> list[str] | None:
    """``sls offline`` serving the same handler, or ``None`` (with the reason printed) when npm cannot.

    Serverless Framework 3 with serverless-offline 13: version 4 of the framework needs an account.
    Its Python runner keeps one warm ``python3`` process per concurrent request.
    """
    folder = SERVERLESS_OFFLINE_DIR
    sls = folder / "node_modules" / ".bin" / "sls"
    if not sls.exists():
        if shutil.which("npm") is None:
            print("serverless-offline row skipped: npm is missing (apt-get install npm)")
            return None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"name": "apig-emu-bench", "private": true}\n')
        print(f"installing serverless@3 and serverless-offline@13 into {folder} ...", flush=True)
        install = ["npm", "install", "--no-audit", "--no-fund", "serverless@3", "serverless-offline@13"]
        if subprocess.run(install, cwd=folder, stdout=subprocess.DEVNULL, check=False).returncode != 0:
            print("serverless-offline row skipped: npm install failed")
            return None
    (folder / "serverless.yml").write_text(SERVERLESS_YML)
    shutil.copy(APP_DIR / "bench_handlers.py", folder / "bench_handlers.py")
    os.environ.setdefault("SLS_TELEMETRY_DISABLED", "1")
    os.environ.setdefault("SLS_NOTIFICATIONS_MODE", "off")
    return [
        str(sls), "offline", "start",
        "--host", "127.0.0.1", "--httpPort", str(port), "--lambdaPort", str(free_port()),
    ]  # fmt: skip


def compiled_once() -> None:
    """Let the servers keep their compiled bytecode, as an installed package has it (pip compiles it).

    With ``PYTHONDONTWRITEBYTECODE`` set (some sandboxes and CI images set it), every start compiles
    every module from source again: 0.35 s of a 10-route start on the 2-core VM.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def start(variant: Variant) -> list[subprocess.Popen[bytes]]:
    """The variant's server, and the reader of its log if it logs to a pipe (a terminal's stand-in)."""
    if variant.log == "pipe":
        reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert reader.stdin is not None
        server = subprocess.Popen(
            variant.command, cwd=variant.cwd, stdout=subprocess.DEVNULL, stderr=reader.stdin
        )
        reader.stdin.close()  # the server holds the pipe's write end now
        return [server, reader]
    server = subprocess.Popen(
        variant.command, cwd=variant.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return [server]


def wait_until_answering(url: str, process: subprocess.Popen[bytes], limit: float = 30.0) -> float:
    """Seconds until ``url`` is answered (any HTTP status counts as an answer)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {' '.join(map(str, process.args))}")  # type: ignore[arg-type]
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return time.perf_counter() - started
        except urllib.error.HTTPError:
            return time.perf_counter() - started
        except OSError:
            time.sleep(0.002)
    raise RuntimeError(f"no answer from {url} within {limit} s")


def cpu_seconds(pid: int) -> float:
    """The CPU time a server used so far, its waited-for children's (the handler check) included.

    On a shared machine the wall clock to the first answer mostly measures the other work; the CPU
    time it took is what an idle machine would wait.
    """
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return float("nan")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_wrk(variant: Variant, *, duration: int, connections: int, warm_up: bool = False) -> Figures:
    """One wrk run; ``warm_up`` tolerates what cold starts on a busy machine cause (a timeout, a 500)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", variant.url]
    if variant.script is not None:
        command[1:1] = ["-s", str(variant.script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(f"wrk said:\n{out}")
    if warm_up:
        return Figures(float(found.group(1)), 0.0, 0.0)
    if "Socket errors" in out:
        raise RuntimeError(f"{variant.name}: wrk saw socket errors\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx and variant.only_2xx:
        raise RuntimeError(f"{variant.name}: {non_2xx.group(1)} answers were not 2xx\n{out}")

    def percentile(name: str) -> float:
        value, unit = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return Figures(float(found.group(1)), percentile("50"), percentile("99"))


def ratios(variant: Variant) -> list[float]:
    """Each run's requests/s over the baseline's run beside it."""
    return [
        run.requests_per_s / base.requests_per_s
        for run, base in zip(variant.runs, variant.beside, strict=True)
    ]


def ratio(variant: Variant, reference: Variant | None = None) -> float:
    """The median ratio to the baseline, or to ``reference`` through the baseline runs beside each."""
    if reference is None:
        return statistics.median(ratios(variant))
    return statistics.median(a / b for a, b in zip(ratios(variant), ratios(reference), strict=True))


def machine() -> dict[str, str]:
    cpu = ""
    if Path("/proc/cpuinfo").exists():
        with open("/proc/cpuinfo") as cpuinfo:
            models = (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
            cpu = next(models, "")
    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu or platform.processor(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def load() -> str:
    """The 1, 5 and 15 minute load averages: the machine may be shared."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def measure_start(config: Path, isolation: str, token: str | None = None) -> dict[str, float]:
    """Seconds to the first answered request (a 403, no function involved) and to the first invocation
    (``token`` for ``/bench``'s Cognito authorizer, where it has one)."""
    port = free_port()
    started = time.perf_counter()
    process = start(Variant("start-up", apig_command(config, port, isolation), port))[0]
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/Prod/nothing-here", process)
        answered = time.perf_counter() - started
        answered_cpu = cpu_seconds(process.pid)
        headers = {"Authorization": token} if token else {}
        bench = urllib.request.Request(f"http://127.0.0.1:{port}/Prod/bench", headers=headers)
        urllib.request.urlopen(bench, timeout=30).read()
        invoked = time.perf_counter() - started
        time.sleep(2.0)  # idle: the start-up's garbage collected, the first request's worker warm
        return {
            "first_answer_s": answered,
            "first_answer_cpu_s": answered_cpu,
            "first_invocation_s": invoked,
            "idle_rss_mb": rss_mb(process.pid),
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


def route_lookup_us(config: Path) -> dict[str, float]:
    """Microseconds per route lookup, in this process: the router alone, without the server's noise.

    The server-level 1,000-vs-1 ratio divides two noisy ratios; this shows directly whether a lookup
    grows with the number of routes (a tree walk per path segment should not).
    """
    from emulator.config import load_definitions
    from emulator.errors import GatewayError
    from emulator.routing import Router

    router = Router(load_definitions(config, code_dir=APP_DIR))
    figures = {}
    for label, path in (("/Prod/bench", "/Prod/bench"), ("403 miss", "/Prod/nothing/here")):

        def lookup(path: str = path) -> object:
            try:
                return router.match("GET", path, "127.0.0.1")
            except GatewayError as miss:
                return miss

        timings = timeit.repeat(lookup, number=20_000, repeat=5)
        figures[label] = min(timings) / 20_000 * 1e6
    return figures


#: The imported API of the start-up figures: the size the issue asks to answer within 1 s of start.
OPENAPI_PATHS = 500


def start_figures(
    folder: Path, small: Path, large: Path, startup_small: Path
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Route lookups (YAML at 1 and 1,000 resources, the OpenAPI import) and the start-up measurements."""
    json_document = write_openapi_config(folder, OPENAPI_PATHS, ".json")
    yaml_document = write_openapi_config(folder, OPENAPI_PATHS, ".yaml")
    lookups = {
        "1 resource": route_lookup_us(small),
        "1000 resources": route_lookup_us(large),
        f"{OPENAPI_PATHS}-path OpenAPI": route_lookup_us(json_document),
    }
    start_up = {}
    for label, config, resources in (("10 routes", startup_small, 8), ("1000 resources", large, 1000)):
        start_up[f"{label} ({routes_of(resources)} routes, process)"] = measure_start(config, "process")
    start_up[f"1000 resources ({routes_of(1000)} routes, thread)"] = measure_start(large, "thread")
    routes = openapi_routes_of(OPENAPI_PATHS)
    # A cache of its own, empty at first: the first start reads the document (cold), the next one
    # finds its import in the cache (warm), as a developer's restarts do.
    os.environ["APIG_EMU_CACHE_DIR"] = str(folder / "openapi-cache")
    for kind, config in (("JSON", json_document), ("YAML", yaml_document)):
        for start in ("cold", "warm"):
            label = f"{OPENAPI_PATHS}-path OpenAPI, {kind}, {start} ({routes} routes, process)"
            start_up[label] = measure_start(config, "process", token_script(config)[0])
    return lookups, start_up


def print_start_figures(lookups: dict[str, dict[str, float]], start_up: dict[str, dict[str, float]]) -> None:
    for routes, figures in lookups.items():
        shown = ", ".join(f"{label} {us:.2f} us" for label, us in figures.items())
        print(f"route lookup at {routes}: {shown}")
    for label, up in start_up.items():
        print(
            f"start, {label}: first answer {up['first_answer_s']:.2f} s ({up['first_answer_cpu_s']:.2f} CPU s), "
            f"first invocation {up['first_invocation_s']:.2f} s, gateway RSS at idle {up['idle_rss_mb']:.1f} MB"
        )


def start_only() -> int:
    """The start-up figures alone: no wrk, no load, a minute on a laptop."""
    if importlib.util.find_spec("emulator") is None:
        print("run this with the project's venv: python3 scripts/dev.py bench --start-only (it sets one up)")
        return 2
    compiled_once()
    folder = Path(tempfile.mkdtemp(prefix="apig-bench-"))
    try:
        print(f"{machine()['cpus']} CPUs, Python {platform.python_version()}; load {load()}")
        small, large, startup_small = (write_config(folder, n) for n in (1, 1000, 8))
        print_start_figures(*start_figures(folder, small, large, startup_small))
        print(f"load {load()} after")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=3, help="seconds per measurement (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--serverless-offline",
        action="store_true",
        help="also run serverless-offline's Python runner as a row (needs npm; installs it on first use)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="TEXT",
        help="run the variants whose name contains TEXT, beside the baseline (repeatable); skips the start-up figures",
    )
    parser.add_argument(
        "--start-only",
        action="store_true",
        help="measure the start-up figures (and route lookups) alone, without wrk; then stop",
    )
    args = parser.parse_args()
    if args.start_only:
        return start_only()
    if shutil.which("wrk") is None:
        print("wrk is missing: install it with `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`.")
        return 2
    if importlib.util.find_spec("emulator") is None or importlib.util.find_spec("uvicorn") is None:
        print("run this with the project's venv: python3 scripts/dev.py bench (it sets one up)")
        return 2

    compiled_once()
    folder = Path(tempfile.mkdtemp(prefix="apig-bench-"))
    mix = folder / "mix.lua"
    mix.write_text(MIX_LUA)
    mapped_script = folder / "mapped.lua"
    mapped_script.write_text(MAPPED_LUA)
    mapped = write_mapped_config(folder)
    small, large, startup_small = (write_config(folder, n) for n in (1, 1000, 8))
    openapi = write_openapi_config(folder, OPENAPI_PATHS, ".json")
    port = free_port()
    variants = [Variant("baseline: Starlette, def endpoint", baseline_command(port), port)]
    for isolation, config, resources, script, log in (
        ("thread", small, 1, None, None),
        ("process", small, 1, None, None),
        ("thread", large, 1000, None, None),
        ("process", large, 1000, None, None),
        ("thread", small, 1, mix, None),
        ("process", small, 1, mix, None),
        ("thread", large, 1000, mix, None),
        ("process", large, 1000, mix, None),
        ("thread", small, 1, None, "devnull"),
        ("process", small, 1, None, "devnull"),
        ("thread", small, 1, None, "pipe"),
        ("process", small, 1, None, "pipe"),
        ("thread", openapi, OPENAPI_PATHS, token_script(openapi)[1], None),
    ):
        name = f"{isolation}, {'mix, ' if script is mix else ''}{resources} resource{'s' if resources > 1 else ''}"
        if config is openapi:
            name = f"{isolation}, {resources}-path OpenAPI"
        if log is not None:
            name += ", logs on" + (", to a pipe" if log == "pipe" else "")
        port = free_port()
        command = apig_command(config, port, isolation, quiet=log is None)
        variants.append(
            Variant(name, command, port, script, log=log or "devnull", only_2xx=script is not mix)
        )
    for isolation in ("thread", "process"):
        port = free_port()
        command = apig_command(mapped, port, isolation)
        variants.append(
            Variant(f"{isolation}, non-proxy, request and response templates", command, port, mapped_script)
        )
    port = free_port()
    http_proxy = write_http_proxy_config(folder, variants[0].port)
    variants.append(
        Variant(
            "HTTP_PROXY to the baseline's server",
            apig_command(http_proxy, port, "thread"),
            port,
            only_2xx=True,
        )
    )

    for isolation in ("thread", "process"):
        for kind, label in AUTH_KINDS.items():
            config, sends_token = write_auth_config(folder / isolation, kind)
            name = f"{isolation}, 1 path OpenAPI, {label}"
            port = free_port()
            command = apig_command(config, port, isolation)
            if kind == "iam":
                sends_token = signature_script(config, port)
            variants.append(Variant(name, command, port, sends_token))

    if args.serverless_offline:
        port = free_port()
        if (peer := serverless_offline_command(port)) is not None:
            variants.append(
                Variant("serverless-offline, Python runner", peer, port, cwd=SERVERLESS_OFFLINE_DIR)
            )

    info = machine()
    load_before = load()
    print(
        f"{info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, {info['system']}; load {load_before}"
    )
    if args.only:
        variants = variants[:1] + [
            v
            for v in variants[1:]
            if v.name.startswith("serverless") or any(text in v.name for text in args.only)
        ]
    start_up = {}
    lookups = {}
    if not args.only:
        lookups, start_up = start_figures(folder, small, large, startup_small)

    processes = []
    try:
        for variant in variants:
            started = start(variant)
            processes.extend(started)
            wait_until_answering(variant.url, started[0])
        for variant in variants:
            # Warm: workers started, caches filled.
            run_wrk(variant, duration=2, connections=args.connections, warm_up=True)
        baseline, measured = variants[0], variants[1:]
        for round_ in range(args.rounds):
            turn = measured[round_ % len(measured) :] + measured[: round_ % len(measured)]
            for variant in turn:
                pair = (baseline, variant) if round_ % 2 == 0 else (variant, baseline)
                figures = [run_wrk(v, duration=args.duration, connections=args.connections) for v in pair]
                base, run = figures if round_ % 2 == 0 else figures[::-1]
                baseline.runs.append(base)
                baseline.beside.append(base)
                variant.runs.append(run)
                variant.beside.append(base)
                print(".", end="", flush=True)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    load_after = load()
    print()

    rows = [
        Row(
            variant.name,
            statistics.median(run.requests_per_s for run in variant.runs),
            statistics.median(run.p50_ms for run in variant.runs),
            statistics.median(run.p99_ms for run in variant.runs),
            ratio(variant),
            [round(r, 3) for r in ratios(variant)]
            if variant.name != variants[0].name
            else [round(run.requests_per_s) for run in variant.runs],
        )
        for variant in variants
    ]
    by_variant = {variant.name: variant for variant in variants}
    width = max(len(row.variant) for row in rows)
    print(
        f"\n{args.connections} connections, {args.rounds} rounds of {args.duration} s, wrk -t1; "
        f"load {load_before} before, {load_after} after"
    )
    print(
        f"{'variant':{width}} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'x baseline':>10}  x baseline per round"
    )
    for row in rows:
        if row is rows[0]:
            spread = f"{len(row.rounds)} runs, {min(row.rounds):.0f}-{max(row.rounds):.0f} req/s"
        else:
            spread = " ".join(f"{r:.2f}" for r in row.rounds)
        print(
            f"{row.variant:{width}} {row.requests_per_s:8.0f} {row.p50_ms:7.2f} {row.p99_ms:7.2f} "
            f"{row.ratio:10.2f}  {spread}"
        )
    summary = {}
    for isolation in ("thread", "process"):
        if (mode := by_variant.get(f"{isolation}, 1 resource")) is not None:
            summary[f"p99 added, {isolation} (ms)"] = statistics.median(
                run.p99_ms - base.p99_ms for run, base in zip(mode.runs, mode.beside, strict=True)
            )
    for label, many, one in (
        ("1000 vs 1 resource, thread", "thread, 1000 resources", "thread, 1 resource"),
        ("1000 vs 1 resource, process", "process, 1000 resources", "process, 1 resource"),
        ("1000 vs 1 resource, thread mix", "thread, mix, 1000 resources", "thread, mix, 1 resource"),
        ("1000 vs 1 resource, process mix", "process, mix, 1000 resources", "process, mix, 1 resource"),
        ("process vs thread (req/s)", "process, 1 resource", "thread, 1 resource"),
        ("logs on vs --quiet, thread", "thread, 1 resource, logs on", "thread, 1 resource"),
        ("logs on vs --quiet, process", "process, 1 resource, logs on", "process, 1 resource"),
        ("logs to a pipe vs --quiet, thread", "thread, 1 resource, logs on, to a pipe", "thread, 1 resource"),
        (
            "logs to a pipe vs --quiet, process",
            "process, 1 resource, logs on, to a pipe",
            "process, 1 resource",
        ),
        ("process vs serverless-offline (req/s)", "process, 1 resource", "serverless-offline, Python runner"),
        (
            "Cognito vs no authorizer, thread",
            "thread, 1 path OpenAPI, Cognito, valid token",
            "thread, 1 path OpenAPI, no authorizer",
        ),
        (
            "Cognito vs no authorizer, process",
            "process, 1 path OpenAPI, Cognito, valid token",
            "process, 1 path OpenAPI, no authorizer",
        ),
        (
            "cached Lambda authorizer vs no authorizer, thread",
            "thread, 1 path OpenAPI, Lambda authorizer, cached",
            "thread, 1 path OpenAPI, no authorizer",
        ),
        (
            "cached Lambda authorizer vs no authorizer, process",
            "process, 1 path OpenAPI, Lambda authorizer, cached",
            "process, 1 path OpenAPI, no authorizer",
        ),
        (
            "AWS_IAM (valid signature) vs no authorizer, thread",
            "thread, 1 path OpenAPI, AWS_IAM, valid SigV4 signature",
            "thread, 1 path OpenAPI, no authorizer",
        ),
        (
            "AWS_IAM (valid signature) vs no authorizer, process",
            "process, 1 path OpenAPI, AWS_IAM, valid SigV4 signature",
            "process, 1 path OpenAPI, no authorizer",
        ),
        (
            f"{OPENAPI_PATHS}-path OpenAPI vs 1000 YAML resources, thread",
            f"thread, {OPENAPI_PATHS}-path OpenAPI",
            "thread, 1000 resources",
        ),
    ):
        if many in by_variant and one in by_variant:
            summary[label] = ratio(by_variant[many], by_variant[one])
    print()
    for label, value in summary.items():
        print(f"{label}: {value:+.2f}" if "ms" in label else f"{label}: {value:.2f}x")
    print_start_figures(lookups, start_up)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "load_before": load_before,
                    "load_after": load_after,
                    "connections": args.connections,
                    "rounds": args.rounds,
                    "duration_s": args.duration,
                    "variants": [asdict(row) for row in rows],
                    "summary": summary,
                    "start": start_up,
                    "route_lookup_us": lookups,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
