"""CloudFormation's intrinsic functions, resolved as CloudFormation resolves them, or refused with the place.

Values are resolved when a reader asks for them, not the whole template up front: a template's
``Outputs`` and IAM policies name resources that exist only on AWS (the role SAM creates for a
function), and what apig-emu never reads must not stop it. What depends on another stack or on S3
(``Fn::ImportValue``, ``Fn::Transform``) cannot be known on a laptop and is an error naming the path
and line, never a guess.

What a resource's ``Ref`` and ``Fn::GetAtt`` give is the template format's to say (``references``);
parameters, pseudo parameters, mappings and conditions are the template's own, here.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

from emulator.config.cloudformation.document import TemplatePath

#: Stands for ``Ref: AWS::NoValue``: the property, or list item, it is the value of is left out.
NO_VALUE = object()

#: Functions that need AWS to answer: another stack's outputs, a macro, the account's subnets.
_REMOTE = {
    "Fn::ImportValue": "it reads another stack's exported output, which does not exist locally",
    "Fn::Transform": "it runs a CloudFormation macro, which only AWS can run",
    "Fn::GetAZs": "it asks AWS for the region's availability zones",
    "Fn::Cidr": "it is not evaluated locally",
}
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


class Unresolvable(Exception):
    """A value that cannot be resolved locally, at ``path``; the message says why."""

    def __init__(self, path: TemplatePath, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.hint = hint


#: A resource's ``Ref`` (attribute ``None``) or ``Fn::GetAtt`` value: raises ``LookupError`` with the
#: reason when the resource has no such attribute locally.
ResourceValue = Callable[[str, "str | None"], Any]


def is_intrinsic(value: object) -> bool:
    """Whether a value is a function call (``{"Fn::Sub": …}``, ``{"Ref": …}``) rather than data."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))


class Resolver:
    """Resolves a template's values, given its parameters' values, mappings, conditions and resources."""

    def __init__(
        self,
        *,
        parameters: Mapping[str, Callable[[], Any]],
        pseudo: Mapping[str, Any],
        mappings: Mapping[str, Any],
        conditions: Mapping[str, Any],
        resources: Mapping[str, str],
        resource_value: ResourceValue,
    ) -> None:
        #: Parameter name -> its value, computed when first referenced (it may be missing: an error then).
        self._parameters = parameters
        self._pseudo = pseudo
        self._mappings = mappings
        self._conditions = conditions
        #: Logical id -> type, to tell a resource from a name that is neither.
        self._resources = resources
        self._resource_value = resource_value
        self._decided: dict[str, bool] = {}
        self._deciding: list[str] = []

    def resolve(self, value: Any, path: TemplatePath) -> Any:
        """``value`` (found at ``path``) with every function in it applied; raises ``Unresolvable``."""
        if isinstance(value, dict):
            if is_intrinsic(value):
                ((name, argument),) = value.items()
                return self._call(name, argument, (*path, name))
            resolved: dict[str, Any] = {}
            for key, item in value.items():
                result = self.resolve(item, (*path, key))
                if result is not NO_VALUE:
                    resolved[key] = result
            return resolved
        if isinstance(value, list):
            items = [self.resolve(item, (*path, index)) for index, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def condition(self, name: str, path: TemplatePath) -> bool:
        """Whether the named condition of ``Conditions`` holds; each is evaluated once."""
        if name in self._decided:
            return self._decided[name]
        if name not in self._conditions:
            known = ", ".join(sorted(self._conditions)) or "(none)"
            raise Unresolvable(path, f"no condition '{name}' in Conditions; the conditions are: {known}")
        if name in self._deciding:
            raise Unresolvable(
                path, f"condition '{name}' depends on itself: {' -> '.join([*self._deciding, name])}"
            )
        self._deciding.append(name)
        try:
            decided = self._truth(self._conditions[name], ("Conditions", name))
        finally:
            self._deciding.pop()
        self._decided[name] = decided
        return decided

    # Conditions

    def _truth(self, value: Any, path: TemplatePath) -> bool:
        if isinstance(value, dict) and len(value) == 1:
            ((name, argument),) = value.items()
            here = (*path, name)
            if name == "Condition":
                return self.condition(self._text(argument, here, "Condition"), here)
            if name == "Fn::Equals":
                left, right = self._arguments(argument, here, name, 2)
                return _as_text(self.resolve(left, (*here, 0))) == _as_text(self.resolve(right, (*here, 1)))
            if name == "Fn::Not":
                (operand,) = self._arguments(argument, here, name, 1)
                return not self._truth(operand, (*here, 0))
            if name in ("Fn::And", "Fn::Or"):
                if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
                    raise Unresolvable(here, f"{name} takes a list of 2 to 10 conditions")
                truths = (self._truth(item, (*here, index)) for index, item in enumerate(argument))
                return all(truths) if name == "Fn::And" else any(truths)
        resolved = self.resolve(value, path)
        if isinstance(resolved, bool):
            return resolved
        if isinstance(resolved, str) and resolved.lower() in ("true", "false"):
            return resolved.lower() == "true"
        raise Unresolvable(
            path,
            "a condition is Fn::Equals, Fn::And, Fn::Or, Fn::Not, or a Condition's name; got "
            + repr(resolved),
        )

    # Functions

    def _call(self, name: str, argument: Any, path: TemplatePath) -> Any:
        function = _FUNCTIONS.get(name)
        if function is not None:
            return function(self, argument, path)
        if name in _REMOTE:
            raise Unresolvable(path, f"{name} cannot be resolved locally: {_REMOTE[name]}", _OVERRIDE_HINT)
        if name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            return self._truth({name: argument}, path[:-1])
        raise Unresolvable(path, f"unknown intrinsic function {name}")

    def _ref(self, argument: Any, path: TemplatePath) -> Any:
        name = self._text(argument, path, "Ref")
        if name in self._pseudo:
            return self._pseudo[name]
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self._parameters:
            try:
                return self._parameters[name]()
            except LookupError as missing:
                raise Unresolvable(path, f"Ref {name}: {missing.args[0]}", _OVERRIDE_HINT) from None
        if name in self._resources:
            return self._of_resource(name, None, path)
        raise Unresolvable(
            path, f"Ref to '{name}', which is neither a parameter nor a resource of the template"
        )

    def _get_att(self, argument: Any, path: TemplatePath) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2:
            raise Unresolvable(
                path, "Fn::GetAtt takes [LOGICAL_ID, ATTRIBUTE] (or !GetAtt LOGICAL_ID.ATTRIBUTE)"
            )
        logical = self._text(argument[0], (*path, 0), "Fn::GetAtt")
        attribute = self._text(self.resolve(argument[1], (*path, 1)), (*path, 1), "Fn::GetAtt")
        if logical not in self._resources:
            raise Unresolvable(path, f"Fn::GetAtt of '{logical}', which is not a resource of the template")
        return self._of_resource(logical, attribute, path)

    def _of_resource(self, logical: str, attribute: str | None, path: TemplatePath) -> Any:
        try:
            return self._resource_value(logical, attribute)
        except LookupError as missing:
            what = f"Ref {logical}" if attribute is None else f"Fn::GetAtt {logical}.{attribute}"
            raise Unresolvable(
                path, f"{what} ({self._resources[logical]}) cannot be resolved locally: {missing.args[0]}"
            ) from None

    def _sub(self, argument: Any, path: TemplatePath) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise Unresolvable(
                    path, "Fn::Sub takes a string, or a list of a string and a mapping of variables"
                )
            template_path: TemplatePath = (*path, 0)
            template = argument[0]
            for key, value in argument[1].items():
                variables[key] = self.resolve(value, (*path, 1, key))
        else:
            template_path, template = path, argument
        if not isinstance(template, str):
            raise Unresolvable(template_path, "Fn::Sub's template must be a string")

        def substitute(found: re.Match[str]) -> str:
            name = found[1].strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return _as_text(variables[name], template_path, f"${{{name}}}")
            if name in self._pseudo or name in self._parameters or name in self._resources:
                return _as_text(self._ref(name, template_path), template_path, f"${{{name}}}")
            logical, dot, attribute = name.partition(".")
            if dot and logical in self._resources:
                return _as_text(
                    self._of_resource(logical, attribute, template_path), template_path, f"${{{name}}}"
                )
            hint = None
            if logical == "stageVariables":
                hint = (
                    f"for API Gateway's stage variable write ${{!{name}}}: Fn::Sub leaves it for API Gateway"
                )
            raise Unresolvable(
                template_path,
                f"Fn::Sub: ${{{name}}} names no parameter, resource or variable of the template",
                hint,
            )

        return _PLACEHOLDER.sub(substitute, template)

    def _join(self, argument: Any, path: TemplatePath) -> str:
        delimiter, items = self._arguments(argument, path, "Fn::Join", 2)
        delimiter = self._text(delimiter, (*path, 0), "Fn::Join")
        values = self.resolve(items, (*path, 1))
        if not isinstance(values, list):
            raise Unresolvable((*path, 1), "Fn::Join joins a list")
        return delimiter.join(_as_text(value, (*path, 1), "Fn::Join's items") for value in values)

    def _select(self, argument: Any, path: TemplatePath) -> Any:
        index, items = self._arguments(argument, path, "Fn::Select", 2)
        index = self.resolve(index, (*path, 0))
        values = self.resolve(items, (*path, 1))
        if not isinstance(values, list):
            raise Unresolvable((*path, 1), "Fn::Select selects from a list")
        try:
            position = int(index)
        except (TypeError, ValueError):
            raise Unresolvable((*path, 0), f"Fn::Select's index must be a number, got {index!r}") from None
        if not 0 <= position < len(values):
            raise Unresolvable(path, f"Fn::Select: index {position} is outside the list of {len(values)}")
        return values[position]

    def _split(self, argument: Any, path: TemplatePath) -> list[str]:
        delimiter, text = self._arguments(argument, path, "Fn::Split", 2)
        delimiter = self._text(delimiter, (*path, 0), "Fn::Split")
        return self._text(self.resolve(text, (*path, 1)), (*path, 1), "Fn::Split").split(delimiter)

    def _if(self, argument: Any, path: TemplatePath) -> Any:
        name, when_true, when_false = self._arguments(argument, path, "Fn::If", 3)
        if self.condition(self._text(name, (*path, 0), "Fn::If"), (*path, 0)):
            return self.resolve(when_true, (*path, 1))
        return self.resolve(when_false, (*path, 2))

    def _find_in_map(self, argument: Any, path: TemplatePath) -> Any:
        if not isinstance(argument, list) or len(argument) not in (3, 4):
            raise Unresolvable(path, "Fn::FindInMap takes [MAP, TOP_LEVEL_KEY, SECOND_LEVEL_KEY]")
        keys = [
            _as_text(self.resolve(item, (*path, index)), (*path, index), "Fn::FindInMap's keys")
            for index, item in enumerate(argument[:3])
        ]
        found: Any = self._mappings
        for depth, key in enumerate(keys):
            if not isinstance(found, dict) or key not in found:
                if len(argument) == 4 and isinstance(argument[3], dict) and "DefaultValue" in argument[3]:
                    return self.resolve(argument[3]["DefaultValue"], (*path, 3, "DefaultValue"))
                where = "Mappings" + "".join(f".{step}" for step in keys[:depth])
                raise Unresolvable(path, f"Fn::FindInMap: no '{key}' in {where}")
            found = found[key]
        return self.resolve(found, ("Mappings", *keys))

    def _base64(self, argument: Any, path: TemplatePath) -> str:
        text = self._text(self.resolve(argument, path), path, "Fn::Base64")
        return base64.b64encode(text.encode()).decode()

    # Helpers

    def _arguments(self, argument: Any, path: TemplatePath, name: str, count: int) -> list[Any]:
        if not isinstance(argument, list) or len(argument) != count:
            raise Unresolvable(path, f"{name} takes a list of {count} values")
        return argument

    def _text(self, value: Any, path: TemplatePath, name: str) -> str:
        if is_intrinsic(value):
            value = self.resolve(value, path)
        if not isinstance(value, str):
            raise Unresolvable(path, f"{name} expects a string here, got {value!r}")
        return value


def _as_text(value: Any, path: TemplatePath = (), what: str = "the value") -> str:
    """A value as the text CloudFormation substitutes; a list or mapping cannot be."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise Unresolvable(path, f"{what} must be text, got {value!r}")


_OVERRIDE_HINT = "give the value directly, or as a parameter set with --parameter-overrides"

_FUNCTIONS: dict[str, Callable[[Resolver, Any, TemplatePath], Any]] = {
    "Ref": Resolver._ref,
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": Resolver._join,
    "Fn::Select": Resolver._select,
    "Fn::Split": Resolver._split,
    "Fn::If": Resolver._if,
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::Base64": Resolver._base64,
}
