"""``functions``: each a Lambda function whose handler is Serverless's ``path/module.function``, and its events.

A function's ``runtime``, ``timeout``, ``memorySize`` and ``environment`` fall back on the provider's
(the environment merged, the function's own winning); ``reservedConcurrency`` bounds its execution
environments. A function apig-emu cannot run (another runtime, a container ``image``) is left out
with a warning naming it and its http events, so the rest of the service is served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from emulator.config import rules
from emulator.config.serverless.handlers import handler_problem, is_python, python_handler
from emulator.config.serverless.provider import Provider, read_environment
from emulator.config.serverless.values import At, Values
from emulator.model import DEFAULT_CONCURRENCY, Function, Location

#: Events that front a function with HTTP but are not REST APIs: named in a warning, never dropped silently.
_OTHER_HTTP_EVENTS = {
    "httpApi": "an HTTP API (API Gateway v2) event; HTTP APIs are not emulated",
    "websocket": "a WebSocket API event; WebSocket APIs are not emulated",
    "alb": "an Application Load Balancer event; load balancers are not emulated",
}


@dataclass
class ServiceFunction:
    key: str
    location: Location
    #: ``None`` when a setting is invalid (reported) or the function cannot run here.
    function: Function | None
    #: With a valid handler, even when another setting is wrong: ``validate`` imports it.
    importable: Function | None
    #: The name it is deployed under: ``name``, else ``<service>-<stage>-<key>``.
    deployed_name: str
    http_events: list[At] = field(default_factory=list)
    #: Left out with a warning: its events are not served either.
    skipped: bool = False


def function_entries(values: Values, at: At | None) -> dict[str, At]:
    """``functions`` as a mapping, or as a list of mappings (as ``${file(...)}`` includes often write it)."""
    if at is None:
        return {}
    item = values.value(at)
    if item is None:
        return {}
    if not isinstance(item.value, list):
        return values.entries(at) or {}
    merged: dict[str, At] = {}
    for part in values.items(at) or []:
        for key, entry in (values.entries(part) or {}).items():
            if key in merged:
                values.error(entry, f"function '{key}' is defined twice")
                continue
            merged[key] = entry
    return merged


def deployed_name(values: Values, at: At, key: str, provider: Provider) -> str:
    keys = values.entries(at) or {}
    name = values.string(keys["name"]) if "name" in keys else None
    return name or f"{provider.service}-{provider.stage}-{key}"


def read_function(
    values: Values, key: str, at: At, provider: Provider, code_dir: Path, name: str
) -> ServiceFunction:
    location = values.location(at)
    found = ServiceFunction(key, location, None, None, name)
    keys = values.entries(at)
    if keys is None:
        return found
    found.http_events = _events(values, keys.get("events"), key)
    problem = rules.function_name_problem(key)
    if problem is not None:
        values.error(at, problem)
    if "image" in keys and "handler" not in keys:
        _skip(values, keys["image"], found, "runs a container image, which apig-emu does not build or run")
        return found
    if "handler" not in keys:
        values.error(at, f"function '{key}' needs a handler, like 'src/handler.main'")
        return found
    runtime_at = keys.get("runtime") or provider.runtime_at
    runtime = values.string(keys["runtime"]) if "runtime" in keys else provider.runtime
    if runtime is not None and not is_python(runtime) and runtime_at is not None:
        _skip(values, runtime_at, found, f"runs on {runtime}; apig-emu runs Python handlers only")
        return found
    if runtime is None and "runtime" not in keys and provider.runtime_at is None:
        values.warn(
            keys["handler"],
            f"function '{key}' has no runtime, and neither has provider; Serverless deploys a Node.js runtime by "
            "default, apig-emu runs the handler as Python",
            "set provider.runtime, e.g. python3.12",
        )
    written = values.string(keys["handler"])
    handler = None
    if written is not None:
        problem = handler_problem(written)
        if problem is not None:
            values.error(keys["handler"], problem)
        else:
            handler = python_handler(written)
    timeout = values.number(keys["timeout"], 1, 900) if "timeout" in keys else provider.timeout
    memory = values.integer(keys["memorySize"], 128, 10240) if "memorySize" in keys else provider.memory
    concurrency: int | None = DEFAULT_CONCURRENCY
    if "reservedConcurrency" in keys:
        concurrency = values.integer(keys["reservedConcurrency"], 0, 1000)
        if concurrency == 0:
            values.warn(
                keys["reservedConcurrency"],
                f"function '{key}' has a reserved concurrency of 0, which throttles every invocation on AWS; it runs "
                "with 1 here",
            )
            concurrency = 1
    environment = dict(provider.environment)
    if "environment" in keys:
        environment.update(read_environment(values, keys["environment"]))
    size_problem = rules.environment_size_problem(environment)
    if size_problem is not None:
        values.error(keys.get("environment", at), size_problem)
    if "layers" in keys:
        values.warn(
            keys["layers"],
            f"the layers of function '{key}' are published ARNs, which apig-emu cannot fetch; install what they "
            "provide in the environment apig-emu runs in",
        )
    if handler is None:
        return found
    function = Function(
        key,
        handler,
        code_dir,
        timeout if timeout is not None else provider.timeout,
        memory if memory is not None else provider.memory,
        environment,
        location,
        concurrency=concurrency if concurrency is not None else DEFAULT_CONCURRENCY,
        handler_location=values.location(keys["handler"]),
    )
    found.importable = function
    valid = timeout is not None and memory is not None and concurrency is not None and size_problem is None
    found.function = function if valid else None
    return found


def _events(values: Values, at: At | None, key: str) -> list[At]:
    """The function's http events; other HTTP fronts warned about, other sources (schedules, queues) not read."""
    if at is None:
        return []
    http: list[At] = []
    for item in values.items(at) or []:
        entries = values.entries(item)
        if entries is None:
            continue
        for kind, event in entries.items():
            if kind == "http":
                http.append(event)
            elif kind in _OTHER_HTTP_EVENTS:
                values.warn(event, f"function '{key}' has {_OTHER_HTTP_EVENTS[kind]}; it is not served")
    return http


def _skip(values: Values, at: At, found: ServiceFunction, reason: str) -> None:
    count = len(found.http_events)
    events = f"; its {count} http event{'' if count == 1 else 's'} {'is' if count == 1 else 'are'} not served"
    values.warn(at, f"function '{found.key}' {reason}{events if count else ''}")
    found.skipped = True
