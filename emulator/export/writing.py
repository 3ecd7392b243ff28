"""An exported document as text: YAML for people and diffs, JSON where a file name asks for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """YAML that any reader takes: no anchors and aliases (a template repeated in two methods stays whole)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    # A mapping template of several lines reads as it was written, in a literal block.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _text)


def wants_json(output: Path | None) -> bool:
    return output is not None and output.suffix.lower() == ".json"


def dump(document: object, *, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
