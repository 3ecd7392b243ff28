"""A module whose import takes a minute: ``serve`` is still starting while it loads."""

from __future__ import annotations

import time
from typing import Any

print("slow_import: importing", flush=True)
time.sleep(60)


def handler(event: Any, context: Any) -> dict[str, Any]:
    return {}
