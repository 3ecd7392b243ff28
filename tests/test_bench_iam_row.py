"""scripts/bench.py's AWS_IAM row serves what it measures: its config and replayed signature answer 200.

wrk counts a non-2xx answer as a failed run, so a row whose signature did not verify would measure
refusals; this checks the row in-process, without wrk or timing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from emulator.testing import Harness

ROOT = Path(__file__).resolve().parent.parent


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("apig_bench", ROOT / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("apig_bench", module)
    spec.loader.exec_module(module)
    return module


def test_the_iam_rows_signature_verifies_and_the_open_rows_method_needs_none(tmp_path: Path) -> None:
    script_module = bench()
    port = 41234
    iam_config, _ = script_module.write_auth_config(tmp_path / "a", "iam")
    script = script_module.signature_script(iam_config, port)
    headers = dict(
        line.removeprefix('wrk.headers["').split('"] = "', 1) for line in script.read_text().splitlines()
    )
    headers = {name: value.removesuffix('"') for name, value in headers.items()}
    assert set(headers) == {"Authorization", "X-Amz-Date"}
    code = script_module.APP_DIR
    with Harness(iam_config, code_dir=code, base_url=f"http://127.0.0.1:{port}") as apig:
        # The signature is dated ahead of the start (see SIGNED_AHEAD_S): the gateway's clock moves there.
        apig.clock.advance(script_module.SIGNED_AHEAD_S)
        assert apig.get("/Prod/bench", headers=headers).status_code == 200
        assert apig.get("/Prod/bench").status_code == 403
    open_config, _ = script_module.write_auth_config(tmp_path / "b", "open")
    with Harness(open_config, code_dir=code, base_url=f"http://127.0.0.1:{port}") as apig:
        assert apig.get("/Prod/bench").status_code == 200
