"""The route table that ``serve`` and ``routes`` print: every method of every stage with its full URL."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.cors import is_preflight, maps_allow_origin
from emulator.model import ANY, AWS, AWS_PROXY, MOCK, Definitions, Method, Resource

_TYPE_LABELS = {AWS_PROXY: "lambda-proxy", AWS: "lambda", MOCK: "mock"}

#: What a person reading a table sees instead of the kind's short name. Leaving ``proxy`` out means a
#: non-proxy integration here, while SAM's ``Api`` events default to proxy: a reader coming from SAM
#: would assume the opposite, so the table spells it out.
_SHOWN = {_TYPE_LABELS[AWS]: "lambda (non-proxy)"}

#: The table's footnote whenever a non-proxy Lambda method is listed: what it means and the switch.
NON_PROXY_NOTE = (
    "lambda (non-proxy): the event is the JSON body; add proxy: true to the trigger for the full "
    "proxy event (SAM's default)"
)


def integration_label(method: Method) -> str:
    """A method's integration as the inspector's JSON names it: short and stable for scripts."""
    if is_preflight(method):
        return "cors-preflight"
    kind = method.integration.type
    return _TYPE_LABELS.get(kind, kind.lower().replace("_", "-"))


def cors_enabled(resource: Resource, method: Method) -> bool:
    """Whether CORS was enabled for a method: its preflight, its mapped origin, or a proxy's preflight."""
    if is_preflight(method) or maps_allow_origin(method):
        return True
    preflight = resource.methods.get("OPTIONS")
    return method.is_proxy and preflight is not None and is_preflight(preflight)


def backend_label(method: Method) -> str:
    """The function a method calls, ``(name)`` for a mock, or nothing."""
    integration = method.integration
    if integration.function is not None:
        return integration.function
    return f"({integration.mock_name})" if integration.mock_name else ""


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

    @property
    def non_proxy_lambda(self) -> bool:
        """Whether the function gets the JSON body as its event: the default a SAM user does not expect."""
        return self.integration == _TYPE_LABELS[AWS]

    @property
    def shown_integration(self) -> str:
        """The integration as a table shows it to a person: ``lambda (non-proxy)`` for ``lambda``."""
        return _SHOWN.get(self.integration, self.integration)


def route_rows(definitions: Definitions, base_url: str) -> list[RouteRow]:
    rows = []
    for api in definitions.apis.values():
        for stage in api.stages:
            for path, resource in sorted(api.resources.items()):
                for verb, method in sorted(
                    resource.methods.items(), key=lambda item: (item[0] == ANY, item[0])
                ):
                    rows.append(
                        RouteRow(
                            method=verb,
                            url=f"{base_url}/{stage}{'' if path == '/' else path}",
                            api=api.name,
                            api_id=api.id,
                            resource=path,
                            stage=stage,
                            integration=integration_label(method),
                            target=backend_label(method),
                            cors=cors_enabled(resource, method),
                        )
                    )
    return rows


def format_table(definitions: Definitions, base_url: str) -> str:
    rows = route_rows(definitions, base_url)
    if not rows:
        return "no routes defined"
    header = ("METHOD", "URL", "INTEGRATION", "FUNCTION", "CORS", "API")
    cells = [
        (
            r.method,
            r.url,
            r.shown_integration,
            r.target or "-",
            "yes" if r.cors else "",
            f"{r.api} ({r.api_id})",
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *cells]
    ]
    notes = []
    if any(r.non_proxy_lambda for r in rows):
        notes.append(NON_PROXY_NOTE)
    if len(definitions.apis) > 1:
        notes.append(
            "Several APIs: a URL whose stage, path and method match one API only is served as shown; "
            "otherwise pick the API with a 'Host: <api-id>.execute-api.localhost' header."
        )
    return "\n".join([*lines, "", *notes] if notes else lines)
