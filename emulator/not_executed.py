"""What the gateway does not execute yet, method by method, so that nobody mistakes it for done.

The model holds everything a definition can say (an imported document says a lot); the gateway
executes part of it. For each part it does not, the note says which of these a request meets:

- the method answers AWS's 500 and the log says why: an AWS service integration with no endpoint to
  call, header mappings from sources API Gateway does not know. Serving such a method some other way
  would hide the difference;
- the method answers what AWS would for a definition apig-emu cannot use: a CUSTOM authorizer that is
  no Lambda authorizer (500), a Cognito authorizer naming no user pool ARN it can read (401), an
  AWS_IAM method when no ``iam:`` credentials are listed (403).

``deploy`` computes the notes once; ``routes``, ``serve`` and the inspector all read that one list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.auth.access import pool_ids
from emulator.aws.endpoints import endpoint_for, missing_endpoint
from emulator.aws.targets import NotAServiceUri, is_service_uri, service_target
from emulator.model import AWS, HTTP, MOCK, AwsSettings, Definitions, Integration, Method, RestApi

#: The response header sources the integration response step reads (``integration_response.py``).
_READ_SOURCES = (
    "integration.response.header.",
    "integration.response.multivalueheader.",
    "integration.response.body.",
    "stageVariables.",
    "context.",
)
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
        for resource, method in api.methods():
            notes += [
                Note(api.name, text, resource.path, method.http_method)
                for text in method_notes(api, method, definitions.aws, iam_listed=bool(definitions.iam))
            ]
    return tuple(notes)


def method_notes(
    api: RestApi, method: Method, aws: AwsSettings | None = None, *, iam_listed: bool = True
) -> list[str]:
    """Each part of ``method`` not executed yet, and what a request meets instead.

    ``iam_listed``: the definitions list ``iam:`` credentials, some caller can sign for AWS_IAM methods.
    """
    notes = _integration_notes(method.integration)
    if aws is not None:
        notes += _endpoint_notes(method.integration, aws)
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
    elif method.authorization_type == "AWS_IAM" and not iam_listed:
        notes.append(
            "IAM authorization (AWS_IAM): no iam: credentials are listed (a template's go in an apig-emu.yaml "
            "beside it), so no signature can verify; every request answers 403"
        )
    return notes


def _integration_notes(integration: Integration) -> list[str]:
    kind = integration.type
    notes: list[str] = []
    if kind in (AWS, MOCK, HTTP):
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
                f"response header mapping from {', '.join(sources)}: not a source API Gateway knows; responses "
                "it applies to answer 500"
            )
    return notes


def _endpoint_notes(integration: Integration, aws: AwsSettings) -> list[str]:
    """A service integration with nowhere to call: said when serving starts, not only at the first 500."""
    if integration.type != AWS or not is_service_uri(integration.uri):
        return []
    assert integration.uri is not None
    try:
        service = service_target(integration.uri).service
    except NotAServiceUri as error:
        return [f"AWS service integration: {error}; requests answer 500"]
    if endpoint_for(aws, service) is not None:
        return []
    return [f"AWS service integration: {missing_endpoint(service)}; requests answer 500"]


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
