"""The README's resource-policy example, config/intranet.yaml, as a user runs it: served on a socket (the
caller's real address is 127.0.0.1), and from other addresses through the harness's ``client_ip``."""

from __future__ import annotations

from pathlib import Path

import requests

from emulator.testing import Harness

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "intranet.yaml"
ARN = "arn:aws:execute-api:us-east-1:********9012:{}/Prod/GET/whoami"


def test_the_intranet_example_lets_this_machine_in_over_a_socket() -> None:
    with Harness(CONFIG, code_dir=ROOT) as apig, apig.serve() as server:
        response = requests.get(f"{server.url}/Prod/whoami", timeout=10)
        assert (response.status_code, response.json()) == (200, {"sourceIp": "127.0.0.1"})


def test_the_intranet_example_refuses_the_vpn_and_everyone_else() -> None:
    with Harness(CONFIG, code_dir=ROOT) as apig:
        api_id = apig.definitions.apis["intranet"].id
        vpn = apig.get("/Prod/whoami", client_ip="10.20.30.40")
        assert vpn.status == 403
        assert vpn.headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert vpn.json() == {
            "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
            f"{ARN.format(api_id)} with an explicit deny in a resource-based policy"
        }
        elsewhere = apig.get("/Prod/whoami", client_ip="203.0.113.5")
        assert elsewhere.json() == {
            "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on resource: "
            f"{ARN.format(api_id)}"
        }
        assert apig.invocations_of("whoami") == []
