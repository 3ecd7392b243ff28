"""An api's ``policy:`` in the YAML: its resource policy, an IAM policy document.

```yaml
apis:
  shop:
    policy:                        # inline, as YAML or as JSON text, or {file: policy.json}
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: "*", Action: execute-api:Invoke, Resource: "execute-api:/*"}
```

The same file-or-inline convention as templates and models (``template_sources.py``). The document is
checked here, with what AWS would refuse and what apig-emu cannot evaluate (a condition key, say) named
at the key's line: a policy that does not parse must never reach a request. Every loader's policy goes
through ``policy_problem``.
"""

from __future__ import annotations

import json

from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode

from emulator.auth.arns import api_arn
from emulator.auth.policy import PolicyError, parse_policy
from emulator.config.nodes import Field, Reader
from emulator.config.template_sources import file_path, is_file_reference, read_named_file
from emulator.limited_files import MAX_DEFINITION_BYTES


def policy_problem(document: object) -> str | None:
    """What is wrong with a resource policy document, or ``None``; the API's id plays no part in that."""
    try:
        parse_policy(document, resource_prefix=api_arn("checked"))
    except PolicyError as error:
        return f"resource policy: {error}"
    return None


def read_policy(reader: Reader, field: Field) -> dict[str, object] | None:
    """The policy document under ``field``; ``None`` after reporting what is wrong with it."""
    node = field.node
    document: object
    if isinstance(node, MappingNode) and is_file_reference(node):
        path = file_path(reader, field, "a policy")
        data = (
            None
            if path is None
            else read_named_file(reader, field, path, MAX_DEFINITION_BYTES, "a policy file")
        )
        if path is None or data is None:
            return None
        document = _json(reader, field, data.decode("utf-8", errors="replace"), f"{path}: ")
    elif isinstance(node, MappingNode):
        try:
            document = SafeConstructor().construct_document(node)
        except (ConstructorError, ValueError) as exc:
            reader.error(field, f"invalid policy: {exc}")
            return None
    elif isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str":
        text = reader.string(field)
        document = None if text is None else _json(reader, field, text, "")
    else:
        reader.expected(field, "a policy document (a mapping, its JSON text, or {file: path})")
        return None
    if document is None:
        return None
    problem = policy_problem(document)
    if problem is not None:
        reader.error(field, problem)
        return None
    assert isinstance(document, dict)
    return document


def _json(reader: Reader, field: Field, text: str, prefix: str) -> object | None:
    try:
        document: object = json.loads(text)
    except json.JSONDecodeError as exc:
        reader.error(field, f"{prefix}{exc.lineno}:{exc.colno}: the policy is not JSON: {exc.msg}")
        return None
    return document
