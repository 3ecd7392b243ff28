"""Handlers for the fault tests (``tests/test_faults.py``): each leaves something behind, or dies.

They accept both integration types: a proxy event's JSON body, or a non-proxy event itself, holds
the arguments, and a proxy request is answered with a proxy response.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any


def _args(event: Any) -> tuple[bool, dict[str, Any]]:
    proxy = isinstance(event, dict) and "httpMethod" in event
    return proxy, (json.loads(event["body"] or "{}") if proxy else event) or {}


def _answer(proxy: bool, result: dict[str, Any]) -> Any:
    return {"statusCode": 200, "body": json.dumps(result)} if proxy else result


def _mark(args: dict[str, Any]) -> None:
    """Write this process's pid to the file ``marker`` names: the test's sign that it runs."""
    if "marker" in args:
        with open(args["marker"], "w") as marker:
            marker.write(str(os.getpid()))


def _wait_for_mark(path: str) -> None:
    """Until the forked child has written its pid (for 5 s at most), so the test can find it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if os.path.exists(path) and os.path.getsize(path):
            return
        time.sleep(0.005)


def pid(event: Any, context: Any) -> Any:
    """The worker's pid, after sleeping ``seconds``: a request to kill from outside meanwhile."""
    proxy, args = _args(event)
    _mark(args)
    time.sleep(float(args.get("seconds", 0)))
    return _answer(proxy, {"pid": os.getpid()})


def forks(event: Any, context: Any) -> Any:
    """``os.fork()``, then per ``child``: ``linger`` (marks, then sleeps a minute), ``exit``, or ``return``.

    ``return`` is the naive fork: the child returns from the handler too, into the runtime. With
    ``then_exit``, the handler's own process calls ``os._exit`` with that status after forking.
    """
    proxy, args = _args(event)
    mode = args.get("child", "linger")
    child = os.fork()
    if child == 0:
        if mode == "linger":
            _mark(args)
            time.sleep(60)
            os._exit(0)
        if mode == "exit":
            os._exit(0)
        return _answer(proxy, {"pid": os.getpid(), "child": 0, "in": "child"})
    if "marker" in args:
        _wait_for_mark(args["marker"])
    if "then_exit" in args:
        os._exit(int(args["then_exit"]))
    return _answer(proxy, {"pid": os.getpid(), "child": child, "in": "parent"})


def leaves_threads(event: Any, context: Any) -> Any:
    """Starts two non-daemon threads that outlive the invocation by a minute, and answers."""
    proxy, _ = _args(event)
    for number in range(2):
        threading.Thread(target=time.sleep, args=(60,), name=f"left-by-handler-{number}").start()
    return _answer(proxy, {"pid": os.getpid(), "threads": threading.active_count()})


def version(event: Any, context: Any) -> Any:
    """Which deployment answered: the ``VERSION`` environment variable, after sleeping ``seconds``."""
    proxy, args = _args(event)
    time.sleep(float(args.get("seconds", 0)))
    return _answer(proxy, {"version": os.environ.get("VERSION"), "pid": os.getpid()})
