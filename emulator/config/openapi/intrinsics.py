"""CloudFormation's ``Fn::Sub`` in an OpenAPI document's URIs, as SAM and CloudFormation templates write them.

An API defined in a template names its functions by their logical ids::

    uri: {"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${GetPet.Arn}/invocations"}

Locally a logical id is the name under ``functions:``, so ``${GetPet.Arn}`` is that function's ARN and
``${GetPet}`` (``Ref``) its name. Enough of the intrinsics to write a URI, the ARN of a role or a user
pool; the rest of CloudFormation's functions are refused with the place to fix.
"""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emulator.account import ACCOUNT_ID, REGION, lambda_arn
from emulator.config.nodes import Field
from emulator.config.openapi.reader import DocumentReader

SUB = "Fn::Sub"
#: Short-form tags (``!Sub``) and the long forms they stand for.
_SHORT = {"!Sub": SUB, "!Ref": "Ref", "!GetAtt": "Fn::GetAtt"}
_INTRINSICS = ("Ref", "Fn::GetAtt", "Fn::Join", "Fn::If", "Fn::Select", "Fn::ImportValue", "Fn::FindInMap")
_PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def is_intrinsic(node: Node) -> bool:
    """Whether a value is a CloudFormation function (``{"Fn::Sub": …}`` or ``!Sub …``) rather than plain data."""
    if node.tag in _SHORT:
        return True
    if isinstance(node, MappingNode) and len(node.value) == 1:
        key = node.value[0][0]
        return isinstance(key, ScalarNode) and (key.value == SUB or key.value in _INTRINSICS)
    return False


def string_or_sub(reader: DocumentReader, field: Field) -> str | None:
    """A string, or the string an ``Fn::Sub`` makes; other intrinsics are errors."""
    if not is_intrinsic(field.node):
        return reader.string(field)
    function, argument = _function(field)
    if function != SUB:
        reader.error(
            field,
            f"CloudFormation's {function} is not evaluated yet; write the value as a string or with Fn::Sub",
        )
        return None
    return _sub(reader, argument)


def _function(field: Field) -> tuple[str, Field]:
    node = field.node
    if node.tag in _SHORT:
        # The node with its standard tag, so the reader reads it as plain data.
        plain = _untagged(node)
        return _SHORT[node.tag], Field(plain, field.path, field.line)
    key, value = node.value[0]
    return str(key.value), Field(value, field.child(str(key.value)), int(key.start_mark.line) + 1)


def _untagged(node: Node) -> Node:
    if isinstance(node, ScalarNode):
        return ScalarNode("tag:yaml.org,2002:str", node.value, node.start_mark, node.end_mark, node.style)
    if isinstance(node, SequenceNode):
        return SequenceNode("tag:yaml.org,2002:seq", node.value, node.start_mark, node.end_mark)
    return MappingNode("tag:yaml.org,2002:map", node.value, node.start_mark, node.end_mark)


def _sub(reader: DocumentReader, argument: Field) -> str | None:
    """``Fn::Sub: TEMPLATE`` or ``Fn::Sub: [TEMPLATE, {NAME: VALUE}]``."""
    variables: dict[str, str] = {}
    if isinstance(argument.node, SequenceNode):
        items = reader.sequence(argument) or []
        if len(items) != 2:
            reader.error(argument, "Fn::Sub takes a string, or a list of a string and a mapping of variables")
            return None
        template_field, variables_field = items
        for name, value in (reader.entries(variables_field) or {}).items():
            resolved = _variable(reader, value)
            if resolved is None:
                return None
            variables[name] = resolved
    else:
        template_field = argument
    template = reader.string(template_field)
    if template is None:
        return None
    problems: list[str] = []

    def substitute(found: re.Match[str]) -> str:
        name = found[1]
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return variables[name]
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name.startswith("stageVariables."):
            # CloudFormation would read it as an attribute of a resource called stageVariables.
            reader.warn(
                template_field,
                f"Fn::Sub: write ${{!{name}}} for API Gateway's stage variable; CloudFormation reads "
                f"${{{name}}} as an attribute of a resource named stageVariables and fails",
            )
            return found[0]
        resource, dot, attribute = name.partition(".")
        if not dot:
            return resource  # Ref: a function's logical id is its name here
        if attribute == "Arn":
            return lambda_arn(resource)
        problems.append(f"${{{name}}} (only .Arn of a function is known locally)")
        return found[0]

    result = _PLACEHOLDER.sub(substitute, template)
    if problems:
        reader.error(template_field, f"Fn::Sub: cannot substitute {', '.join(problems)}")
        return None
    return result


def _variable(reader: DocumentReader, field: Field) -> str | None:
    """A variable of ``Fn::Sub``'s list form: a string, ``Ref: X`` or ``Fn::GetAtt: [X, Arn]``."""
    if not is_intrinsic(field.node):
        return reader.string(field)
    function, argument = _function(field)
    if function == "Ref":
        name = reader.string(argument)
        return None if name is None else _PSEUDO.get(name, name)
    if function == "Fn::GetAtt":
        parts: list[str | None]
        if isinstance(argument.node, SequenceNode):
            parts = [reader.string(item) for item in reader.sequence(argument) or []]
        else:
            text = reader.string(argument)
            parts = list(text.split(".", 1)) if text is not None else [None]
        if len(parts) == 2 and parts[1] == "Arn" and parts[0] is not None:
            return lambda_arn(parts[0])
        reader.error(argument, "Fn::GetAtt: only [FUNCTION, Arn] is known locally")
        return None
    if function == SUB:
        return _sub(reader, argument)
    reader.error(field, f"CloudFormation's {function} is not evaluated yet in Fn::Sub's variables")
    return None
