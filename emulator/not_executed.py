"""What the gateway does not execute yet, method by method, so that nobody mistakes it for done.

The model holds everything a definition can say (an imported document says a lot); the gateway
executes part of it. For each part it does not, the choice is one of two, and the note says which:

- the method answers AWS's 500 and the log says why: integrations of a kind not executed (HTTP,
  HTTP_PROXY, AWS services), mapping templates that need Velocity, header mappings from sources not
  read yet. Serving such a method some other way would hide the difference;
- the method is served without it: Lambda authorizers, IAM, request validators, the resource
  policy, request parameter mappings and content handling. The rest of the method works, which is
  what a developer needs while those features are on their way.

``deploy`` computes the notes once; ``routes``, ``serve`` and the inspector all read that one list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.auth.access import pool_ids
from emulator.config.lambda_uris import UnresolvedFunction, lambda_target
from emulator.model import AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK, Definitions, Integration, Method, RestApi
from emulator.velocity import static_text

#: The response header sources the integration response step reads (``integration_response.py``).
_READ_SOURCES = ("integration.response.header.",)
_READ_EXACT = ("integration.response.body",)
#: How many methods a grouped line at start names before saying how many more.
_SHOWN = 5


@dataclass(frozen=True)
class Note:
    """A part of a method, or of a whole api (``path`` and ``method`` are ``None``), not executed yet."""

    api: str
    text: str
    path: str | None = None
    method: str | None = None


def not_executed(definitions: Definitions) -> tuple[Note, ...]:
    notes: list[Note] = []
    for api in definitions.apis.values():
        notes += [Note(api.name, text) for text in _api_notes(api)]
        for resource, method in api.methods():
            notes += [
                Note(api.name, text, resource.path, method.http_method) for text in method_notes(api, method)
            ]
    return tuple(notes)


def _api_notes(api: RestApi) -> list[str]:
    if api.policy is not None:
        return [
            "resource policy (x-amazon-apigateway-policy): not enforced yet; every request is let through"
        ]
    return []


def method_notes(api: RestApi, method: Method) -> list[str]:
    """Each part of ``method`` not executed yet, and what a request meets instead."""
    notes = _integration_notes(method.integration)
    if method.authorization_type == "CUSTOM":
        custom = api.authorizers.get(method.authorizer or "")
        if custom is None or custom.type not in ("TOKEN", "REQUEST"):
            notes.append(
                f"authorizer '{method.authorizer}' (CUSTOM) is no Lambda authorizer of the api; every request "
                "answers 500"
            )
    elif method.authorization_type == "COGNITO_USER_POOLS":
        authorizer = api.authorizers.get(method.authorizer or "")
        if authorizer is not None and not pool_ids(authorizer):
            notes.append(
                f"authorizer '{authorizer.name}' (COGNITO_USER_POOLS) names no user pool ARN apig-emu can read "
                f"({', '.join(authorizer.provider_arns) or 'none'}); every request answers 401"
            )
    elif method.authorization_type == "AWS_IAM":
        notes.append("IAM authorization (AWS_IAM): not enforced yet; served without a signature")
    if _validates_something(api, method):
        notes.append(
            f"request validator '{method.request_validator}': not enforced yet; requests are not validated"
        )
    return notes


def _validates_something(api: RestApi, method: Method) -> bool:
    """Whether the method's validator would check anything: required parameters, or a body model."""
    validator = api.request_validators.get(method.request_validator or "")
    if validator is None:
        return False
    # A path parameter is never missing: the resource would not have matched without it.
    required = [key for key, needed in method.request_parameters.items() if needed and ".path." not in key]
    parameters = validator.validate_request_parameters and bool(required)
    return parameters or (validator.validate_request_body and bool(method.request_models))


def _integration_notes(integration: Integration) -> list[str]:
    kind = integration.type
    if kind in (HTTP, HTTP_PROXY):
        return [f"{kind} integration: not executed yet; requests answer 500"]
    if kind == AWS and not _is_lambda(integration):
        return ["AWS service integration: not executed yet; requests answer 500"]
    notes: list[str] = []
    if kind in (AWS, MOCK) and _needs_velocity(integration.request_templates.values()):
        notes.append(
            "request mapping template needs Velocity: not executed yet; requests it applies to answer 500"
        )
    if kind in (AWS, MOCK):
        templates = [
            template
            for response in integration.responses
            for template in response.response_templates.values()
        ]
        if _needs_velocity(templates):
            notes.append(
                "response mapping template needs Velocity: not executed yet; responses it applies to answer 500"
            )
        sources = sorted(
            {
                source
                for response in integration.responses
                for source in response.response_parameters.values()
                if not _is_read(source)
            }
        )
        if sources:
            notes.append(
                f"response header mapping from {', '.join(sources)}: not executed yet; responses it applies to "
                "answer 500"
            )
    if kind in (AWS, AWS_PROXY) and integration.request_parameters:
        notes.append(
            f"integration request parameters ({', '.join(sorted(integration.request_parameters))}): not applied yet"
        )
    handling = {response.content_handling for response in integration.responses}
    # A MOCK reads the body only through a template that needs Velocity (a preflight's never does), so
    # converting the request's body changes nothing there.
    if kind != MOCK or _needs_velocity(integration.request_templates.values()):
        handling.add(integration.content_handling)
    handling.discard(None)
    # A proxy's binary bodies are already base64 in its event, as CONVERT_TO_TEXT would make them.
    if handling and kind != AWS_PROXY:
        notes.append(
            f"contentHandling {', '.join(sorted(str(value) for value in handling))}: not applied yet"
        )
    return notes


def _is_lambda(integration: Integration) -> bool:
    try:
        return integration.uri is not None and lambda_target(integration.uri) is not None
    except UnresolvedFunction:
        return True


def _needs_velocity(templates: Iterable[str]) -> bool:
    return any(static_text(template) is None for template in templates)


def _is_read(source: str) -> bool:
    quoted = len(source) >= 2 and source.startswith("'") and source.endswith("'")
    return quoted or source.startswith(_READ_SOURCES) or source in _READ_EXACT


def by_method(notes: Iterable[Note]) -> dict[tuple[str, str, str], list[str]]:
    """The notes of each method, by (api, resource path, verb)."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for note in notes:
        if note.path is not None and note.method is not None:
            found.setdefault((note.api, note.path, note.method), []).append(note.text)
    return found


def grouped(notes: Iterable[Note]) -> list[str]:
    """One line per distinct note with the methods it concerns, as ``serve`` prints them when it starts."""
    methods: dict[tuple[str, str], list[str]] = {}
    lines: list[str] = []
    for note in notes:
        if note.path is None or note.method is None:
            lines.append(f"api '{note.api}': {note.text}")
        else:
            methods.setdefault((note.api, note.text), []).append(f"{note.method} {note.path}")
    for (api, text), names in methods.items():
        shown = ", ".join(names[:_SHOWN]) + (
            f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        )
        lines.append(f"api '{api}': {text}: {shown}")
    return lines
