"""The inspector answers only to names that cannot be an attacker's: DNS rebinding.

A page on ``http://evil.example:3000`` whose name is re-resolved to 127.0.0.1 is, to the browser, the
emulator's own origin: it may read the inspector's answers (every recorded request with its
``Authorization`` header) and replay requests. Its requests still say ``Host: evil.example:3000``, so
``/_emu`` refuses any ``Host`` that is not loopback, ``localhost``, ``*.localhost`` or a name given
with ``--host`` / ``--allowed-host``. The API's own paths answer any ``Host``, as API Gateway does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator import cli_frontend
from emulator.app import create_app
from emulator.cli import build_parser
from emulator.config import load_definitions
from emulator.deployment import deploy
from emulator.gateway import Gateway
from emulator.inspector import AllowedHosts, Recorder, inspector_routes
from emulator.inspector.hosts import allowed_host_option
from emulator.runtime.threads import ThreadInvoker
from emulator.testing import GatewayClient, Harness
from tests.conftest import LAMBDAS
from tests.live import exchange, request_bytes, start_server

CONFIG = """
apis:
  shop: {}
functions:
  count:
    handler: cases.count
    triggers:
      - {api: shop, resource: /count, method: POST}
"""

SECRET = "Bearer sk-live-0123456789"
GUARD = {"X-Apig-Emu": "1"}


def client_for(tmp_path: Path, allowed: AllowedHosts | None = None) -> GatewayClient:
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    gateway = Gateway(deploy(load_definitions(config, code_dir=LAMBDAS)), invoker=ThreadInvoker())
    recorder = Recorder(capacity=10)
    recorder.attach(gateway)
    return GatewayClient(create_app(gateway, routes=inspector_routes(recorder, allowed)))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[GatewayClient]:
    with client_for(tmp_path) as client:
        yield client
        client.run(client.app.state.gateway.invoker.aclose)


def count_calls(client: Any) -> int:
    return int(client.post("/Prod/count", json={}).json()["count"]) - 1


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:3000",
        "LOCALHOST:3000",
        "localhost.:3000",  # a trailing dot names the same host
        "app.localhost:3000",
        "A.B.Localhost",
        "127.0.0.1:3000",
        "127.1.2.3",
        "[::1]:3000",
        "[::1]",
        "[::ffff:127.0.0.1]:3000",
    ],
)
def test_local_names_are_answered(client: Any, host: str) -> None:
    client.post("/Prod/count", json={}, headers={"Authorization": SECRET})
    answer = client.get("/_emu/api/invocations", headers={"Host": host})
    assert answer.status_code == 200
    assert SECRET in answer.text


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:3000",
        "EVIL.example.:3000",
        "localhost.evil.example",
        "evillocalhost:3000",
        "127.0.0.1.evil.example",
        "localhost:3000@evil.example",
        "localhost:notaport",
        "0.0.0.0:3000",  # not the address bound (--host 127.0.0.1), nor loopback
        "192.168.1.20:3000",
        "[::]:3000",
        "::1",  # an IPv6 address in Host must be bracketed
        "[fe80::1%25eth0]:3000",
        "2130706433",  # 127.0.0.1 as a number: a browser would have sent 127.0.0.1
        "",
    ],
)
def test_other_names_get_a_403_with_no_recorded_data(
    client: Any, host: str, caplog: pytest.LogCaptureFixture
) -> None:
    client.post("/Prod/count", json={}, headers={"Authorization": SECRET})
    record = client.get("/_emu/api/invocations").json()[0]["id"]
    runs = count_calls(client)
    with caplog.at_level(logging.WARNING, logger="apig_emu.inspector"):
        answers = [
            client.get("/_emu/api/invocations", headers={"Host": host}),
            client.get(f"/_emu/api/invocations?after={record - 1}", headers={"Host": host}),
            client.get("/_emu/", headers={"Host": host}),
            client.get("/_emu", headers={"Host": host}),
            client.get("/_emu/api/routes", headers={"Host": host}),
            client.get("/_emu/inspector.js", headers={"Host": host}),
            client.post(
                f"/_emu/api/invocations/{record}/replay",
                headers={**GUARD, "Host": host, "Origin": f"http://{host}"},
            ),
            client.delete("/_emu/api/invocations", headers={**GUARD, "Host": host}),
        ]
    for answer in answers:
        assert answer.status_code == 403, answer.request.url
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.text.startswith("Forbidden: the apig-emu inspector answers only to localhost")
        assert "--allowed-host" in answer.text
        assert "sk-live" not in answer.text and "/Prod/count" not in answer.text
    assert count_calls(client) == runs + 1  # no replay ran
    assert len(client.get("/_emu/api/invocations").json()) == 3  # nothing was cleared
    # Said once in the log, however often a rebinding page polls.
    assert caplog.text.count("inspector: refused a request for Host") == 1


def test_the_api_answers_any_host_as_api_gateway_does(client: Any) -> None:
    first = client.post("/Prod/count", json={}, headers={"Host": "evil.example:3000"})
    assert first.status_code == 200
    assert client.post("/Prod/count", json={}, headers={"Host": "api.example.com"}).json() == {
        "count": first.json()["count"] + 1
    }


def test_names_given_are_answered_exactly_or_under_a_domain(tmp_path: Path) -> None:
    allowed = AllowedHosts(["0.0.0.0", "Dev-Box.lan.", "*.tunnel.test", "fd00::5"])
    with client_for(tmp_path, allowed) as client:
        for host in ("0.0.0.0:3000", "dev-box.lan:3000", "a.tunnel.test", "x.y.tunnel.test:443", "[fd00::5]"):
            assert client.get("/_emu/api/routes", headers={"Host": host}).status_code == 200, host
        for host in ("tunnel.test", "eviltunnel.test", "dev-box.lan.evil.example", "[fd00::6]"):
            assert client.get("/_emu/api/routes", headers={"Host": host}).status_code == 403, host


def test_any_name_when_asked_for(tmp_path: Path) -> None:
    with client_for(tmp_path, AllowedHosts(["*"])) as client:
        assert client.get("/_emu/api/routes", headers={"Host": "anything.example"}).status_code == 200


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://localhost:3000", "localhost:3000", True),  # the page itself
        ("http://127.0.0.1:3000", "localhost:3000", True),  # the same server under another local name
        ("http://localhost:8080", "localhost:3000", False),  # a frontend on another port is another site
        ("http://localhost", "localhost:3000", False),
        ("http://evil.example:3000", "localhost:3000", False),
        ("http://dev-box.lan:3000", "dev-box.lan:3000", True),  # given with --allowed-host
        ("http://other.lan:3000", "dev-box.lan:3000", False),
        ("null", "localhost:3000", False),
        ("http://localhost:3000/path", "localhost:3000", False),
        ("http://localhost:99999999", "localhost:3000", False),
    ],
)
def test_the_replays_origin_is_checked_against_the_allowed_names(
    tmp_path: Path, origin: str, host: str, allowed: bool
) -> None:
    with client_for(tmp_path, AllowedHosts(["dev-box.lan"])) as client:
        client.post("/Prod/count", json={})
        record = client.get("/_emu/api/invocations").json()[0]["id"]
        answer = client.post(
            f"/_emu/api/invocations/{record}/replay", headers={**GUARD, "Origin": origin, "Host": host}
        )
        assert answer.status_code == (200 if allowed else 403)
        if not allowed:
            assert answer.json()["message"].startswith(f"Forbidden: it comes from a page on {origin}")
        client.run(client.app.state.gateway.invoker.aclose)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("http://dev-box.lan", "without a scheme or path"),
        ("dev-box.lan/inspector", "without a scheme or path"),
        ("dev-box.lan:3000", "without a port"),
        ("[::1]:3000", "without a port"),
        ("dev box", "is not a host name or IP address"),
        ("", "is not a host name or IP address"),
        ("*.", "is not a host name or IP address"),
    ],
)
def test_a_bad_allowed_host_is_refused_by_name(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        allowed_host_option(value)


def test_allowed_host_is_a_repeatable_serve_option(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["serve", "--allowed-host", "dev-box.lan", "--allowed-host", "*.tunnel.test", "--allowed-host", "::1"]
    )
    assert args.allowed_host == ["dev-box.lan", "*.tunnel.test", "::1"]
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["serve", "--allowed-host", "dev-box.lan:3000"])
    assert exit_.value.code == 2
    assert (
        "argument --allowed-host: 'dev-box.lan:3000': give the name without a port" in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("options", "answered"),
    [
        (["--host", "dev-box.lan"], "dev-box.lan:3000"),  # the name serve binds is one it answers to
        (["--host", "0.0.0.0"], "0.0.0.0:3000"),
        (["--allowed-host", "app.test", "--allowed-host", "*.tunnel.test"], "x.tunnel.test"),
    ],
)
def test_serves_host_and_allowed_host_options_reach_the_inspector(
    tmp_path: Path, options: list[str], answered: str
) -> None:
    args = build_parser().parse_args(["serve", *options])
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    gateway = Gateway(deploy(load_definitions(config, code_dir=LAMBDAS)), invoker=ThreadInvoker())
    with GatewayClient(create_app(gateway, routes=cli_frontend.app_routes(args, gateway))) as client:
        assert client.get("/_emu/api/routes", headers={"Host": answered}).status_code == 200
        assert client.get("/_emu/api/routes", headers={"Host": "localhost:3000"}).status_code == 200
        assert client.get("/_emu/api/routes", headers={"Host": "evil.example:3000"}).status_code == 403


@pytest.mark.slow  # starts `apig-emu serve`
def test_serve_refuses_other_hosts_on_the_wire(tmp_path: Path) -> None:
    server = start_server(tmp_path, CONFIG, "--isolation", "thread", "--allowed-host", "dev-box.lan")
    try:
        port = server.port
        called = exchange(port, request_bytes("POST", "/Prod/count", headers={"Authorization": SECRET}))
        assert called.status == 200

        def get(path: str, host: str | None, version: str = "1.1") -> Any:
            head = f"GET {path} HTTP/{version}\r\n" + (f"Host: {host}\r\n" if host else "")
            return exchange(port, (head + "Connection: close\r\n\r\n").encode())

        rebound = get("/_emu/api/invocations", f"evil.example:{port}")
        assert rebound.status == 403
        assert b"sk-live" not in rebound.raw
        assert get("/_emu/api/invocations", f"dev-box.lan:{port}").status == 200
        assert get("/_emu/api/invocations", f"[::1]:{port}").status == 200
        listed = get("/_emu/api/invocations", f"localhost:{port}")
        assert json.loads(listed.body)[0]["request"]["headers"][-1] == ["Authorization", SECRET]
        # The API answers the rebound name: the gateway's own 403 for an unknown path, as AWS's.
        api = get("/Prod/nowhere", f"evil.example:{port}")
        assert api.status == 403 and b"Missing Authentication Token" in api.body
        # No Host at all (HTTP/1.0) is no browser's request, and no rebinding page's.
        assert get("/_emu/api/routes", None, "1.0").status == 200
        server.stop()
        assert server.log().count("inspector: refused a request for Host 'evil.example") == 1
    finally:
        server.stop()


def test_the_test_harness_server_serves_no_inspector_to_rebind_to(tmp_path: Path) -> None:
    # ``Harness.serve()`` (and the plugin's ``apig_server``) puts the gateway alone on the socket.
    (tmp_path / "apig.yaml").write_text(CONFIG)
    with Harness(tmp_path / "apig.yaml", code_dir=LAMBDAS) as apig, apig.serve() as server:
        requests.post(server.url + "/Prod/count", json={}, headers={"Authorization": SECRET}, timeout=5)
        for host in ("localhost", "evil.example"):
            answer = requests.get(server.url + "/_emu/api/invocations", headers={"Host": host}, timeout=5)
            assert answer.status_code == 403
            assert answer.json() == {"message": "Missing Authentication Token"}


def test_allowing_any_host_says_what_it_gives_up(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    args = build_parser().parse_args(["serve", "--allowed-host", "*"])
    config = tmp_path / "apig.yaml"
    config.write_text(CONFIG)
    gateway = Gateway(deploy(load_definitions(config, code_dir=LAMBDAS)), invoker=ThreadInvoker())
    with caplog.at_level(logging.WARNING, logger="apig_emu"):
        routes = cli_frontend.app_routes(args, gateway)
    assert "--allowed-host '*': the inspector answers any Host name" in caplog.text
    with GatewayClient(create_app(gateway, routes=routes)) as client:
        assert client.get("/_emu/api/routes", headers={"Host": "evil.example"}).status_code == 200
