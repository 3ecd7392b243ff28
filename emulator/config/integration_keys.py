"""The mapping keys of a non-proxy integration, shared by a Lambda trigger's ``integration:`` block and the
``integrations:`` section: AWS's methodIntegration settings spelled in snake_case.

```yaml
integration:
  request_templates: {application/x-www-form-urlencoded: {file: templates/form.vtl}}
  passthrough_behavior: NEVER                 # passthroughBehavior
  request_parameters: {integration.request.header.X-Tenant: method.request.header.X-Tenant}
  content_handling: CONVERT_TO_TEXT           # contentHandling
  timeout_ms: 5000                            # timeoutInMillis
  responses:                                  # integrationResponses
    - {status_code: 404, selection_pattern: "Not found.*"}
    - status_code: 200
      response_parameters: {method.response.header.X-Count: integration.response.body.count}
      response_templates: {application/json: '{"items": $input.json("$.items")}'}
```

Each value is checked as AWS checks it when it puts the integration, and reported at its own line.
What needs the method as well (a source naming a path variable or a declared parameter) is checked
once the method is whole (``sources_problems``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from yaml.nodes import ScalarNode

from emulator.config import rules
from emulator.config.builder import IntegrationMapping
from emulator.config.errors import HINT, ConfigError
from emulator.config.method_request import path_variables
from emulator.config.nodes import Field, Reader, one_of
from emulator.config.template_sources import Template, read_template
from emulator.mapping.jsonpath import JsonPathError, body_path
from emulator.model import (
    CONTENT_HANDLINGS,
    MAX_TIMEOUT_MS,
    METHOD_RESPONSE_HEADER,
    MIN_TIMEOUT_MS,
    PASSTHROUGH_BEHAVIORS,
    WHEN_NO_MATCH,
    IntegrationResponse,
    Location,
    Method,
)

#: The keys every non-proxy integration takes, in both places.
MAPPING_KEYS = (
    "request_templates",
    "passthrough_behavior",
    "request_parameters",
    "content_handling",
    "timeout_ms",
    "responses",
)
RESPONSE_KEYS = (
    "status_code",
    "selection_pattern",
    "response_parameters",
    "response_templates",
    "content_handling",
)
#: ``$default`` is the template used when no other matches the request's Content-Type.
DEFAULT_TEMPLATE_KEY = "$default"
_REQUEST_TARGET = re.compile(
    r"integration\.request\.(header|querystring|path|multivalueheader|multivaluequerystring)\.(.+)"
)
_REQUEST_SOURCE = re.compile(
    r"method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)"
    r"|method\.request\.body(\..+)?"
    r"|stageVariables\.[A-Za-z0-9_]+"
    r"|context\.[A-Za-z0-9_.]+"
    r"|'[^']*'"
)
_RESPONSE_SOURCE = re.compile(
    r"integration\.response\.(header|multivalueheader)\.[!#$%&'*+.^_`|~0-9A-Za-z-]+"
    r"|integration\.response\.body(\..+)?"
    r"|stageVariables\.[A-Za-z0-9_]+"
    r"|context\.[A-Za-z0-9_.]+"
    r"|'[^']*'"
)
_STATUS = re.compile(r"[1-5][0-9][0-9]")
_METHOD_SOURCE = re.compile(
    r"method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.(.+)"
)


@dataclass(frozen=True)
class MappingDecl:
    """The mapping keys as read; ``timeout_ms`` is ``None`` when not given here."""

    mapping: IntegrationMapping
    timeout_ms: int | None = None
    #: Where each integration request parameter is, for ``sources_problems``.
    parameter_locations: Mapping[str, Location] = field(default_factory=dict)


def read_mapping(reader: Reader, keys: dict[str, Field], *, what: str) -> MappingDecl:
    """The mapping keys among ``keys``; ``what`` names the integration in messages (``an http integration``).

    A wrong value is reported and left out, so that the rest is still checked, as the trigger is.
    """
    state = _State(reader)
    templates, locations = state.templates(keys.get("request_templates"), request=True)
    passthrough = WHEN_NO_MATCH
    if "passthrough_behavior" in keys:
        passthrough = state.choice(keys["passthrough_behavior"], PASSTHROUGH_BEHAVIORS) or WHEN_NO_MATCH
    parameters = state.request_parameters(keys.get("request_parameters"))
    handling = (
        state.choice(keys["content_handling"], CONTENT_HANDLINGS) if "content_handling" in keys else None
    )
    timeout = None
    if "timeout_ms" in keys:
        timeout = reader.integer(keys["timeout_ms"], MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)
    responses = state.responses(keys["responses"], what) if "responses" in keys else ()
    mapping = IntegrationMapping(templates, parameters, passthrough, handling, responses, locations)
    return MappingDecl(mapping, timeout, state.parameter_locations)


class _State:
    """One reading, and the locations it found."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.parameter_locations: dict[str, Location] = {}

    def choice(self, field: Field, allowed: tuple[str, ...]) -> str | None:
        written = self.reader.string(field)
        if written is None:
            return None
        if written.upper() in allowed:
            return written.upper()
        self.reader.error(field, f"unknown value '{written}'; expected one of {one_of(allowed)}")
        return None

    def templates(
        self, field: Field | None, *, request: bool = False
    ) -> tuple[dict[str, str], dict[str, Location]]:
        """Templates by content type, and where each starts: the YAML value's line, or its file's first.

        A request template may also be ``$default``, for a Content-Type no other matches (reference 3.1).
        """
        templates: dict[str, str] = {}
        locations: dict[str, Location] = {}
        entries = self.reader.entries(field) if field is not None else {}
        if entries is None:
            return templates, locations
        for content_type, entry in entries.items():
            default = request and content_type == DEFAULT_TEMPLATE_KEY
            problem = None if default else rules.media_type_problem(content_type)
            if problem:
                self.reader.error(entry, f"{problem}" + (f" (or {DEFAULT_TEMPLATE_KEY})" if request else ""))
                continue
            template: Template | None = read_template(self.reader, entry)
            if template is None:
                continue
            templates[content_type] = template.text
            locations[content_type] = template.location
        return templates, locations

    def request_parameters(self, field: Field | None) -> dict[str, str]:
        parameters: dict[str, str] = {}
        for target, entry in (self.reader.entries(field) or {}).items() if field is not None else []:
            match = _REQUEST_TARGET.fullmatch(target)
            if match is None:
                self.reader.error(
                    entry,
                    f"invalid integration request parameter '{target}'; expected integration.request.header.NAME, "
                    "integration.request.querystring.NAME, integration.request.path.NAME, "
                    "integration.request.multivalueheader.NAME or integration.request.multivaluequerystring.NAME",
                )
                continue
            if match[1].endswith("header") and rules.header_name_problem(match[2]):
                self.reader.error(entry, f"'{target}': {rules.header_name_problem(match[2])}")
                continue
            source = self._source(entry)
            if source is None:
                continue
            if not _REQUEST_SOURCE.fullmatch(source):
                self.reader.error(
                    entry,
                    f"invalid mapping expression '{source}' for '{target}'; expected method.request.path|querystring|"
                    "multivaluequerystring|header|multivalueheader.NAME, method.request.body, "
                    "method.request.body.JSONPATH, stageVariables.NAME, context.NAME or a 'quoted literal'",
                    _literal_hint(source),
                )
                continue
            if not self._body_path(entry, source, "method.request.body."):
                continue
            parameters[target] = source
            self.parameter_locations[target] = self.reader.location(entry)
        return parameters

    def _body_path(self, field: Field, source: str, prefix: str) -> bool:
        """Whether a body mapping's JSONPath (``method.request.body.a.b``) is one API Gateway evaluates."""
        if not source.startswith(prefix):
            return True
        try:
            body_path(source[len(prefix) :])
        except JsonPathError as exc:
            self.reader.error(field, f"invalid mapping expression '{source}': {exc}")
            return False
        return True

    def _source(self, field: Field) -> str | None:
        """A mapping expression: a string; a YAML boolean or number is AWS's error, and a likely slip."""
        node = field.node
        if isinstance(node, ScalarNode) and node.tag != "tag:yaml.org,2002:str":
            text = self.reader.text(field)
            if text is not None:
                self.reader.error(
                    field,
                    f"a mapping expression is a string; got {text}",
                    f"a literal value is written in single quotes inside the YAML string: \"'{text}'\"",
                )
            return None
        return self.reader.string(field)

    def responses(self, field: Field, what: str) -> tuple[IntegrationResponse, ...]:
        items = self.reader.sequence(field)
        if items is None:
            return ()
        if not items:
            self.reader.error(field, f"{what} needs at least one response when 'responses' is given")
        responses: list[IntegrationResponse] = []
        patterns: dict[str | None, Field] = {}
        for item in items:
            response = self._response(item)
            if response is None:
                continue
            first = patterns.setdefault(response.selection_pattern, item)
            if first is not item:
                which = (
                    "the default response (no selection_pattern)"
                    if response.selection_pattern is None
                    else f"selection_pattern {response.selection_pattern!r}"
                )
                self.reader.error(
                    item,
                    f"{which} is given twice (first at line {first.line}); "
                    "each integration response has its own selection pattern",
                )
                continue
            responses.append(response)
        return tuple(responses)

    def _response(self, field: Field) -> IntegrationResponse | None:
        reader = self.reader
        keys = reader.mapping(field, required=("status_code",), optional=RESPONSE_KEYS[1:])
        if keys is None or "status_code" not in keys:
            return None
        # A response with a wrong value is left out whole: answering in its place with part of it would
        # differ from every definition AWS could store.
        errors_before = len(reader.errors)
        status = reader.text(keys["status_code"])
        if status is not None and not _STATUS.fullmatch(status):
            self.reader.error(
                keys["status_code"],
                f"invalid status_code '{status}'; expected an HTTP status from 100 to 599",
            )
        pattern = self._pattern(keys["selection_pattern"]) if "selection_pattern" in keys else None
        parameters = self._response_parameters(keys.get("response_parameters"))
        templates, locations = self.templates(keys.get("response_templates"))
        handling = (
            self.choice(keys["content_handling"], CONTENT_HANDLINGS) if "content_handling" in keys else None
        )
        if len(reader.errors) > errors_before or status is None:
            return None
        return IntegrationResponse(
            status, pattern, parameters, templates, handling, template_locations=locations
        )

    def _pattern(self, field: Field) -> str | None:
        """A regular expression; empty is the default response, as AWS treats an empty pattern."""
        pattern = self.reader.text(field)
        if not pattern:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            self.reader.error(
                field, f"selection_pattern {pattern!r} is not a valid regular expression: {exc}"
            )
        return pattern

    def _response_parameters(self, field: Field | None) -> dict[str, str]:
        parameters: dict[str, str] = {}
        for target, entry in (self.reader.entries(field) or {}).items() if field is not None else []:
            header = (
                target[len(METHOD_RESPONSE_HEADER) :] if target.startswith(METHOD_RESPONSE_HEADER) else ""
            )
            problem = rules.header_name_problem(header) if header else None
            if not header or problem:
                self.reader.error(
                    entry,
                    f"invalid response parameter '{target}'; expected method.response.header.NAME"
                    + (f" ({problem})" if problem else ""),
                )
                continue
            source = self._source(entry)
            if source is None:
                continue
            if not _RESPONSE_SOURCE.fullmatch(source):
                self.reader.error(
                    entry,
                    f"invalid mapping expression '{source}' for '{target}'; expected integration.response.header.NAME, "
                    "integration.response.multivalueheader.NAME, integration.response.body, "
                    "integration.response.body.JSONPATH, stageVariables.NAME, context.NAME or a 'quoted literal'",
                    _literal_hint(source),
                )
                continue
            if self._body_path(entry, source, "integration.response.body."):
                parameters[target] = source
        return parameters


def _literal_hint(source: str) -> str | None:
    if source.startswith(("method.", "integration.", "stageVariables.", "context.")):
        return None
    return f"a literal value is written in single quotes inside the YAML string: \"'{source}'\""


def sources_problems(method: Method, path: str, locations: Mapping[str, Location]) -> list[ConfigError]:
    """Integration request parameters whose source the method cannot give, as AWS refuses them: a path
    variable the resource lacks, or a query string or header the method request does not declare."""
    problems: list[ConfigError] = []
    variables = path_variables(path)
    declared = {_declared_key(key) for key in method.request_parameters}
    for target, source in method.integration.request_parameters.items():
        match = _METHOD_SOURCE.fullmatch(source)
        if match is None or target not in locations:
            continue
        place, name = match.groups()
        refused = (
            f"Invalid mapping expression specified: Validation Result: warnings : [], errors : "
            f"[Invalid mapping expression parameter specified: {source}]"
        )
        if place == "path":
            if name not in variables:
                problems.append(
                    ConfigError(locations[target], f"{refused} (the resource '{path}' has no {{{name}}})")
                )
            continue
        kind = "querystring" if place.endswith("querystring") else "header"
        needed = f"method.request.{kind}.{name}"
        if _declared_key(needed) not in declared:
            problems.append(
                ConfigError(
                    locations[target],
                    f"{refused} (the method request does not declare it)",
                    (f"{HINT}declare it in the trigger's request_parameters: {{{needed}: false}}",),
                )
            )
    return problems


def _declared_key(key: str) -> str:
    """Header names match in any case, as HTTP has them; query string names exactly."""
    return key.lower() if key.startswith("method.request.header.") else key
