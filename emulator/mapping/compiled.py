"""Every mapping template of a set of definitions, compiled once: for a deployment, and for load errors.

``deploy`` keeps them by text (``Templates``), so a request looks its template up and never parses;
a template that does not parse is kept as ``BrokenTemplate``, which answers AWS's 500 with the parse
error as the reason (definitions built in code, by the harness, skip the load checks). Loading reports
the same parse errors as config errors at the method (or API) that holds the template, with the line and
column inside it, so ``validate`` and ``serve`` refuse such a config. Both go through
``vtl.compile_template``'s cache: loading then deploying parses each text once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from emulator.config.errors import ConfigError
from emulator.mapping.vtl import Template, TemplateRenderError, TemplateSyntaxError, compile_template
from emulator.model import Definitions, Location


@dataclass(frozen=True)
class TemplateSite:
    """Where a template is defined, as messages name it: the template's own key where the loader kept it,
    else its method's (or API's)."""

    location: Location
    #: e.g. ``request template for application/json of POST /items``.
    what: str
    text: str


class BrokenTemplate:
    """A template that did not parse: rendering it is the request's 500, with the parse error as reason."""

    __slots__ = ("error", "static", "text")

    def __init__(self, text: str, error: TemplateSyntaxError) -> None:
        self.text = text
        self.error = error
        self.static = None

    def render(self, variables: object) -> str:
        raise TemplateRenderError(self.error.line, f"the template does not parse: {self.error.problem}")


Compiled = Template | BrokenTemplate
Templates = dict[str, Compiled]


def template_sites(definitions: Definitions) -> Iterator[TemplateSite]:
    """Each template of every API: request and integration response templates, gateway responses'."""
    for api in definitions.apis.values():
        for resource, method in api.methods():
            name = f"{method.http_method} {resource.path}"
            integration = method.integration
            for content_type, text in integration.request_templates.items():
                where = integration.template_locations.get(content_type, method.location)
                yield TemplateSite(where, f"request template for {content_type} of {name}", text)
            for response in integration.responses:
                for content_type, text in response.response_templates.items():
                    yield TemplateSite(
                        response.template_locations.get(content_type, method.location),
                        f"response template for {content_type} of the {response.status} integration response "
                        f"of {name}",
                        text,
                    )
        for response_type, spec in api.gateway_responses.items():
            if spec.template is not None:
                where = spec.template_location or api.location
                yield TemplateSite(where, f"template of the gateway response {response_type}", spec.template)


def compile_one(text: str) -> Compiled:
    """``text`` compiled, or kept broken with its parse error."""
    try:
        return compile_template(text)
    except TemplateSyntaxError as error:
        return BrokenTemplate(text, error)


def compile_templates(definitions: Definitions) -> Templates:
    """Every template, by its text (the same text anywhere compiles to one object)."""
    templates: Templates = {}
    for site in template_sites(definitions):
        if site.text not in templates:
            templates[site.text] = compile_one(site.text)
    return templates


def template_errors(definitions: Definitions) -> list[ConfigError]:
    """A config error for each template that does not parse, at its method or API, with where inside it."""
    errors: list[ConfigError] = []
    for site in template_sites(definitions):
        try:
            compile_template(site.text)
        except TemplateSyntaxError as error:
            errors.append(
                ConfigError(
                    site.location,
                    f"the {site.what} is not valid Velocity: at line {error.line}, column {error.column} of "
                    f"the template: {error.problem}",
                )
            )
    return errors
