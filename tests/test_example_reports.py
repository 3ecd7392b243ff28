"""The README's IAM example, config/reports.yaml, as a user runs it: signed in-process, and over a socket
by ``curl --aws-sigv4`` when the machine's curl has it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from emulator.testing import Harness

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config" / "reports.yaml"


def test_the_reports_example_serves_signed_callers_only() -> None:
    with Harness(CONFIG, code_dir=ROOT) as apig:
        person = apig.get("/Prod/reports", sign_as="AKIDEXAMPLE")
        assert person.json() == {
            "caller": "arn:aws:iam::123456789012:user/alice",
            "account": "123456789012",
            "automated": False,
            "reports": ["daily-sales", "refunds"],
        }
        assert apig.get("/Prod/reports", sign_as="ASIAEXAMPLECI").json()["automated"] is True
        unsigned = apig.get("/Prod/reports")
        assert (unsigned.status, unsigned.json()) == (403, {"message": "Missing Authentication Token"})


def test_curl_aws_sigv4_as_the_readme_shows() -> None:
    """The config's comment: curl's own SigV4 signer (7.75+) against a served gateway."""
    curl = shutil.which("curl")
    if (
        curl is None
        or "--aws-sigv4" not in subprocess.run([curl, "--help", "all"], capture_output=True, text=True).stdout
    ):
        pytest.skip("this machine's curl has no --aws-sigv4")
    # curl signs at the machine's time; the harness's clock started at it and stands still, well within the
    # five minutes a signature is good for.
    with Harness(CONFIG, code_dir=ROOT) as apig, apig.serve() as server:
        args = [curl, "-s", "--aws-sigv4", "aws:amz:us-east-1:execute-api", f"{server.url}/Prod/reports"]
        good = subprocess.run(
            [*args, "--user", "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        bad = subprocess.run(
            [*args, "--user", "AKIDEXAMPLE:wrong"], capture_output=True, text=True, timeout=60
        )
    assert '"caller": "arn:aws:iam::123456789012:user/alice"' in good.stdout
    assert "The request signature we calculated does not match" in bad.stdout
