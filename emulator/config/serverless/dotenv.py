"""``useDotenv: true``: the ``.env`` file Serverless loads into the environment before it resolves ``${env:...}``.

Serverless v3 reads ``.env.<stage>`` from the service's folder if there is one, else ``.env``; a
variable already set in the environment keeps its value. Lines are ``NAME=value`` (``export`` before
the name allowed), a value optionally in single or double quotes, ``#`` starting a comment line; a
line that is none of these is reported at its line rather than guessed at.
"""

from __future__ import annotations

import re
from pathlib import Path

from emulator.config.serverless.report import Report
from emulator.limited_files import MAX_DEFINITION_BYTES, FileRefused, read_limited
from emulator.model import Location

_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*?)\s*")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def dotenv_file(service_dir: Path, stage: str) -> Path | None:
    """The file Serverless would load for ``stage``, if either exists."""
    for name in (f".env.{stage}", ".env"):
        path = service_dir / name
        if path.is_file():
            return path
    return None


def read_dotenv(path: Path, report: Report) -> dict[str, str]:
    try:
        text = read_limited(path, MAX_DEFINITION_BYTES, "a .env file").decode("utf-8", "replace")
    except FileRefused as exc:
        report.error(Location(str(path)), str(exc))
        return {}
    variables: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        found = _LINE.fullmatch(line)
        if found is None:
            report.error(Location(str(path), line=number), "expected NAME=value")
            continue
        variables[found.group(1)] = _value(found.group(2))
    return variables


def _value(written: str) -> str:
    if len(written) >= 2 and written[0] == written[-1] == "'":
        return written[1:-1]
    if len(written) >= 2 and written[0] == written[-1] == '"':
        return re.sub(r"\\(.)", lambda escape: _ESCAPES.get(escape.group(1), escape.group(0)), written[1:-1])
    # An unquoted value ends where a comment starts.
    return re.split(r"\s+#", written, maxsplit=1)[0]
