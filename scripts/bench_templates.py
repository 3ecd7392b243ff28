#!/usr/bin/env python3
"""CPU per render of mapping templates, compiled (how apig-emu renders) against airspeed-ext's own walk.

    .venv/bin/python scripts/bench_templates.py [--repeat 7] [--number 3000]

Both paths render the same parsed template with the same variables in this process, alternately, so
the machine's load falls on both alike; the figure is the best CPU time (``time.process_time``) of
``--repeat`` runs of ``--number`` renders. The templates are ``scripts/bench.py``'s non-proxy pair, a
``$input.json('$')`` body and a ``#foreach`` over 100 items. ``tests/test_vtl_compiled.py`` holds the
two paths' output equal.
"""

from __future__ import annotations

import argparse
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import MAPPED_REQUEST_TEMPLATE, MAPPED_RESPONSE_TEMPLATE

from emulator.mapping.java_values import ContextMap
from emulator.mapping.variables import TemplateInput, TemplateUtil
from emulator.mapping.vtl import Template

BODY = b'{"item": "tea", "quantity": 2, "tags": ["green", "loose"]}'
ITEMS = ("[" + ",".join(f'{{"id": {k}}}' for k in range(100)) + "]").encode()
CONTEXT = {"stage": "Prod", "requestId": "2765aadc-f584-450f-8b39-79ba258f0aab", "resourcePath": "/bench"}
CASES = [
    ("bench request template", MAPPED_REQUEST_TEMPLATE, BODY),
    ("bench response template", MAPPED_RESPONSE_TEMPLATE, b'{"ok": true}'),
    ("{\"body\": $input.json('$')}", "{\"body\": $input.json('$')}", BODY),
    ("#foreach over 100 items", '#foreach($i in $input.path("$"))$i.id,#end', ITEMS),
]


def variables(body: bytes) -> dict[str, Any]:
    """What a request's template reads; the parameters' builder runs only if the template asks."""
    return {
        "input": TemplateInput(body, lambda: {"path": {}, "querystring": {}, "header": {}}),
        "context": ContextMap(CONTEXT),
        "util": TemplateUtil(),
        "stageVariables": {},
    }


def renderer(template: Template, body: bytes) -> Callable[[], str]:
    return lambda: template.render(variables(body))


def best_us(render: Callable[[], str], number: int, repeat: int) -> float:
    return min(timeit.repeat(render, number=number, repeat=repeat, timer=time.process_time)) / number * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=3000, help="renders per timing")
    parser.add_argument("--repeat", type=int, default=7, help="timings per path (the best is shown)")
    args = parser.parse_args()
    print(f"{'template':28} {'compiled us':>12} {'airspeed us':>12} {'gain':>6}")
    for name, text, body in CASES:
        compiled, walked = Template(text), Template(text)
        walked._fast = None  # airspeed-ext's own walk of the same tree
        assert compiled.render(variables(body)) == walked.render(variables(body))
        fast = slow = float("inf")
        for _ in range(args.repeat):
            fast = min(fast, best_us(renderer(compiled, body), args.number, 1))
            slow = min(slow, best_us(renderer(walked, body), args.number, 1))
        print(f"{name:28} {fast:12.1f} {slow:12.1f} {slow / fast:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
