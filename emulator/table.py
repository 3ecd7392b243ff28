"""The route table that ``serve`` and ``routes`` print: every method of every stage with its full URL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from emulator.aws.targets import NotAServiceUri, is_service_uri, service_target
from emulator.config.lambda_uris import STAGE_VARIABLE, UnresolvedFunction, resolve_function
from emulator.cors import is_preflight, maps_allow_origin
from emulator.model import ANY, AWS, AWS_PROXY, MOCK, Definitions, Method, Resource, Stage
from emulator.not_executed import Note, by_method

_TYPE_LABELS = {AWS_PROXY: "lambda-proxy", AWS: "lambda", MOCK: "mock"}

#: What a person reading a table sees instead of the kind's short name. Leaving ``proxy`` out means a
#: non-proxy integration here, while SAM's ``Api`` events default to proxy: a reader coming from SAM
#: would assume the opposite, so the table spells it out.
_SHOWN = {_TYPE_LABELS[AWS]: "lambda (non-proxy)"}

#: Above the footnotes of the NOT YET column.
NOT_YET_HEADING = (
    "NOT YET: parts of these methods the gateway does not execute yet (the method is served without them, "
    "or answers the error noted):"
)

#: The table's footnote whenever a non-proxy Lambda method is listed: what it means and the switch.
NON_PROXY_NOTE = (
    "lambda (non-proxy): the event is the JSON body; the full proxy event is Lambda proxy integration's "
    "(proxy: true on a YAML trigger; SAM's Api events, serverless.yml's default)"
)


def integration_label(method: Method) -> str:
    """A method's integration as the inspector's JSON names it: short and stable for scripts."""
    if is_preflight(method):
        return "cors-preflight"
    kind = method.integration.type
    if kind == AWS and is_service_uri(method.integration.uri):
        return "aws-service"
    return _TYPE_LABELS.get(kind, kind.lower().replace("_", "-"))


def cors_enabled(resource: Resource, method: Method) -> bool:
    """Whether CORS was enabled for a method: its preflight, its mapped origin, or a proxy's preflight."""
    if is_preflight(method) or maps_allow_origin(method):
        return True
    preflight = resource.methods.get("OPTIONS")
    return method.is_proxy and preflight is not None and is_preflight(preflight)


def backend_label(method: Method, stage: Stage | None = None) -> str:
    """The function a method calls (on ``stage``, if a stage variable names it), ``(name)`` for a mock or an
    ``integrations:`` entry, the call an AWS service integration makes, or nothing."""
    integration = method.integration
    if integration.function is not None:
        return integration.function
    if integration.mock_name or integration.name:
        return f"({integration.mock_name or integration.name})"
    if integration.type == AWS and is_service_uri(integration.uri):
        return _service_call(integration.uri or "", stage)
    if integration.uri is not None and stage is not None and "${stageVariables." in integration.uri:
        try:
            return resolve_function(integration.uri, stage.name, stage.variables)
        except UnresolvedFunction:
            return "(no function: 500)"
    return ""


def _service_call(uri: str, stage: Stage | None) -> str:
    """``dynamodb PutItem``, ``sqs /123456789012/orders``: what a service integration calls, on ``stage``."""
    if stage is not None:
        uri = STAGE_VARIABLE.sub(lambda found: stage.variables.get(found[1], found[0]), uri)
    try:
        target = service_target(uri)
    except NotAServiceUri:
        return "(not a service uri: 500)"
    return (
        f"{target.service} {target.action}"
        if target.action is not None
        else f"{target.service} /{target.path}"
    )


@dataclass(frozen=True)
class RouteRow:
    method: str
    url: str
    api: str
    api_id: str
    resource: str
    stage: str
    integration: str
    target: str
    cors: bool
    #: What the method defines that the gateway does not execute yet (``emulator.not_executed``).
    notes: list[str] = field(default_factory=list)

    @property
    def non_proxy_lambda(self) -> bool:
        """Whether the function gets the JSON body as its event: the default a SAM user does not expect."""
        return self.integration == _TYPE_LABELS[AWS]

    @property
    def shown_integration(self) -> str:
        """The integration as a table shows it to a person: ``lambda (non-proxy)`` for ``lambda``."""
        return _SHOWN.get(self.integration, self.integration)


def route_rows(definitions: Definitions, base_url: str, notes: Iterable[Note] = ()) -> list[RouteRow]:
    """Every method of every stage with its URL, where the definitions' ``serving`` puts it.

    With the stage at the root (``Serving.stage_in_path``), each API answers in its first stage only.
    """
    rows = []
    noted = by_method(notes)
    serving = definitions.serving
    prefix = "/" + serving.path_prefix.strip("/") if serving.path_prefix.strip("/") else ""
    for api in definitions.apis.values():
        stages = list(api.stages.items()) if serving.stage_in_path else list(api.stages.items())[:1]
        for stage, settings in stages:
            before = f"{prefix}/{stage}" if serving.stage_in_path else prefix
            for path, resource in sorted(api.resources.items()):
                for verb, method in sorted(
                    resource.methods.items(), key=lambda item: (item[0] == ANY, item[0])
                ):
                    rows.append(
                        RouteRow(
                            method=verb,
                            url=f"{base_url}{before}{'' if path == '/' and before else path}",
                            api=api.name,
                            api_id=api.id,
                            resource=path,
                            stage=stage,
                            integration=integration_label(method),
                            target=backend_label(method, settings),
                            cors=cors_enabled(resource, method),
                            notes=noted.get((api.name, path, verb), []),
                        )
                    )
    return rows


def format_table(definitions: Definitions, base_url: str, notes: Iterable[Note] = ()) -> str:
    """The table; with ``notes``, a NOT YET column marks each method's, and footnotes say what each means."""
    notes = list(notes)
    rows = route_rows(definitions, base_url, notes)
    if not rows:
        return "no routes defined"
    footnotes: dict[str, int] = {}
    for row in rows:
        for text in row.notes:
            footnotes.setdefault(text, len(footnotes) + 1)
    header: tuple[str, ...] = ("METHOD", "URL", "INTEGRATION", "FUNCTION", "CORS", "API")
    if footnotes:
        header += ("NOT YET",)
    cells = [
        (
            r.method,
            r.url,
            r.shown_integration,
            r.target or "-",
            "yes" if r.cors else "",
            f"{r.api} ({r.api_id})",
            *(
                [",".join(str(number) for number in sorted(footnotes[text] for text in r.notes))]
                if footnotes
                else []
            ),
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *cells]
    ]
    lines_after: list[str] = []
    if footnotes:
        lines_after.append(NOT_YET_HEADING)
        lines_after += [f"  [{number}] {text}" for text, number in footnotes.items()]
    lines_after += [f"api '{note.api}': {note.text}" for note in notes if note.path is None]
    if any(r.non_proxy_lambda for r in rows):
        lines_after.append(NON_PROXY_NOTE)
    if len(definitions.apis) > 1 and not definitions.serving.stage_in_path:
        lines_after.append(
            "Several APIs at the root: the first one (in this order) whose path and method match answers; "
            "a 'Host: <api-id>.execute-api.localhost' header picks another."
        )
    elif len(definitions.apis) > 1:
        lines_after.append(
            "Several APIs: a URL whose stage, path and method match one API only is served as shown; "
            "otherwise pick the API with a 'Host: <api-id>.execute-api.localhost' header."
        )
    return "\n".join([*lines, "", *lines_after] if lines_after else lines)
