"""A template read and ready to be resolved: its parameters' values, conditions, mappings and resources.

The SAM and CloudFormation readers ask it for their resources (those whose ``Condition`` holds) and
for each property as a resolved value or as a ``Field`` the OpenAPI importer's reader reads, with
the line it came from. Every value it cannot resolve becomes an error naming the path and line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.account import ACCOUNT_ID, REGION
from emulator.config.cloudformation.as_nodes import as_node
from emulator.config.cloudformation.document import TemplateDocument, TemplatePath, dotted
from emulator.config.cloudformation.intrinsics import Resolver, Unresolvable
from emulator.config.cloudformation.references import resource_value
from emulator.config.errors import HINT, ConfigError
from emulator.config.nodes import Field
from emulator.model import Location

#: The stack name SAM CLI gives ``sam local``'s templates, so a template's names come out as there.
STACK_NAME = "local"
PSEUDO_PARAMETERS: Mapping[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/"
    "51af3dc0-da77-11e4-872e-1234567db123",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}
_LIST_TYPES = ("CommaDelimitedList", "List<")


@dataclass(frozen=True)
class TemplateResource:
    logical_id: str
    type: str
    path: TemplatePath
    #: As written: values still to be resolved, read through ``Template.value`` and ``Template.field``.
    properties: Mapping[str, Any]


class Template:
    """One template, its errors and warnings as they are found."""

    def __init__(
        self,
        document: TemplateDocument,
        overrides: Mapping[str, str],
        implicit: Mapping[str, str] | None = None,
    ) -> None:
        """``implicit``: resources the format adds (SAM's ``ServerlessRestApi``), by logical id, with their types."""
        self.document = document
        self.file = str(document.path)
        self.errors: list[ConfigError] = []
        self.warnings: list[ConfigError] = []
        self.types: dict[str, str] = dict(implicit or {})
        for logical, resource in document.section("Resources").items():
            if isinstance(resource, dict) and isinstance(resource.get("Type"), str):
                self.types[logical] = resource["Type"]
            else:
                self.error(("Resources", logical), "a resource needs a Type")
        pseudo = dict(PSEUDO_PARAMETERS)
        declared = document.section("Parameters")
        for name, value in overrides.items():
            if name in pseudo:
                pseudo[name] = value
            elif name not in declared:
                self.warnings.append(
                    ConfigError(
                        Location("--parameter-overrides"),
                        f"'{name}' is not a parameter of {self.file}; its parameters are: "
                        f"{', '.join(sorted(declared)) or '(none)'}",
                    )
                )
        parameters = {name: self._parameter(name, spec, overrides) for name, spec in declared.items()}
        values = resource_value(self.types)
        self.resolver = Resolver(
            parameters=parameters,
            pseudo=pseudo,
            mappings=document.section("Mappings"),
            conditions=document.section("Conditions"),
            resources=self.types,
            resource_value=lambda logical, attribute: self._resource_value(values, logical, attribute),
        )

    # Errors

    def location(self, path: TemplatePath) -> Location:
        return self.document.lines.location(path)

    def error(self, path: TemplatePath, message: str, hint: str | None = None) -> None:
        found = ConfigError(self.location(path), message, (HINT + hint,) if hint else ())
        if found not in self.errors:  # a Globals value is read once per function
            self.errors.append(found)

    def warn(self, path: TemplatePath, message: str) -> None:
        found = ConfigError(self.location(path), message)
        if found not in self.warnings:
            self.warnings.append(found)

    def report(self, problem: Unresolvable) -> None:
        self.error(problem.path, problem.message, problem.hint)

    # Reading

    def resources(self, *types: str) -> Iterator[TemplateResource]:
        """The resources of those types (all without any) whose ``Condition`` holds, in the template's order."""
        for logical, resource in self.document.section("Resources").items():
            kind = self.types.get(logical)
            if kind is None or (types and kind not in types) or not isinstance(resource, dict):
                continue
            path: TemplatePath = ("Resources", logical)
            if "Condition" in resource:
                try:
                    name = resource["Condition"]
                    if not isinstance(name, str):
                        raise Unresolvable((*path, "Condition"), "a resource's Condition names a condition")
                    if not self.resolver.condition(name, (*path, "Condition")):
                        continue
                except Unresolvable as problem:
                    self.report(problem)
                    continue
            properties = resource.get("Properties", {})
            if not isinstance(properties, dict):
                self.error((*path, "Properties"), "Properties is a mapping")
                properties = {}
            yield TemplateResource(logical, kind, path, properties)

    def value(self, raw: Any, path: TemplatePath, default: Any = None) -> Any:
        """``raw`` (found at ``path``) resolved; ``default`` after reporting what cannot be."""
        try:
            return self.resolver.resolve(raw, path)
        except Unresolvable as problem:
            self.report(problem)
            return default

    def field(self, raw: Any, path: TemplatePath) -> Field | None:
        """``raw`` resolved, as a field the OpenAPI importer's reader reads; ``None`` if it cannot be."""
        try:
            resolved = self.resolver.resolve(raw, path)
        except Unresolvable as problem:
            self.report(problem)
            return None
        line = self.document.lines.line(path) or 1
        return Field(as_node(resolved, path, self.document.lines), dotted(path), line)

    # Parameters and resources

    def _parameter(self, name: str, spec: Any, overrides: Mapping[str, str]) -> Callable[[], Any]:
        path: TemplatePath = ("Parameters", name)

        def value() -> Any:
            kind = spec.get("Type", "String") if isinstance(spec, dict) else "String"
            if name in overrides:
                given: Any = overrides[name]
            elif isinstance(spec, dict) and "Default" in spec:
                given = spec["Default"]
                given = ",".join(map(str, given)) if isinstance(given, list) else str(given)
            elif isinstance(kind, str) and kind.startswith("AWS::SSM::Parameter::Value"):
                raise LookupError(
                    f"the parameter is read from SSM Parameter Store on AWS ({kind}) and has no Default"
                )
            else:
                raise LookupError(
                    f"the parameter has no Default and no value (line {self.location(path).line})"
                )
            allowed = spec.get("AllowedValues") if isinstance(spec, dict) else None
            if isinstance(allowed, list) and given not in map(str, allowed):
                raise LookupError(
                    f"{given!r} is not one of the parameter's AllowedValues: {', '.join(map(str, allowed))}"
                )
            if isinstance(kind, str) and kind.startswith(_LIST_TYPES):
                return [item.strip() for item in given.split(",")] if given else []
            return given

        return value

    def _resource_value(
        self, values: Callable[[str, str | None], str], logical: str, attribute: str | None
    ) -> Any:
        if attribute is None and self.types[logical] == "AWS::ApiGateway::Stage":
            # A stage's Ref is its name.
            path: TemplatePath = ("Resources", logical, "Properties", "StageName")
            properties = self.document.section("Resources").get(logical, {}).get("Properties", {})
            name = self.resolver.resolve(properties.get("StageName"), path)
            if isinstance(name, str):
                return name
        return values(logical, attribute)
