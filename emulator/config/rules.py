"""The value rules AWS enforces on names, paths and settings; each check returns a problem or ``None``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from emulator.model import ANY, HTTP_METHODS

METHODS: tuple[str, ...] = (ANY, *HTTP_METHODS)
DEFAULT_STAGE = "Prod"
#: The emulator serves its inspector under this path, so no stage may take the name.
RESERVED_STAGE = "_emu"

#: Variables the Lambda runtime sets itself; Lambda refuses them in a function's configuration.
RESERVED_ENVIRONMENT = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

#: Lambda's limit on a function's environment: "The total size of all environment variables doesn't
#: exceed 4 KB" [AWS-doc lambda/latest/dg/configuration-envvars.html], measured as the variables in
#: compact JSON (its error shows the "String measured": ``{"KEY":"value",...}``).
MAX_ENVIRONMENT_BYTES = 4096

_API_ID = re.compile(r"[a-z0-9]{10}")
_FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_STAGE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]+")
_ENVIRONMENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_MEDIA_TYPE_PART = r"(?:\*|[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)"
_MEDIA_TYPE = re.compile(rf"{_MEDIA_TYPE_PART}/{_MEDIA_TYPE_PART}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LITERAL_SEGMENT = re.compile(r"[A-Za-z0-9\-._~:@!$&'()*+,;=%]+")
_VARIABLE_SEGMENT = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")


def api_id_problem(api_id: str) -> str | None:
    if _API_ID.fullmatch(api_id):
        return None
    return f"invalid api id '{api_id}'; expected exactly 10 characters from a-z and 0-9, like AWS's ids"


def function_name_problem(name: str) -> str | None:
    if _FUNCTION_NAME.fullmatch(name):
        return None
    return f"invalid function name '{name}'; Lambda allows 1 to 64 letters, digits, '-' and '_'"


def handler_problem(handler: str) -> str | None:
    parts = handler.split(".")
    if len(parts) >= 2 and all(part.isidentifier() for part in parts):
        return None
    return (
        f"invalid handler '{handler}'; expected a module path and a function, "
        "each part a Python identifier, like 'package.module.handler'"
    )


def runtime_problem(runtime: str) -> str | None:
    """A Lambda Python runtime: ``python3.12``."""
    if re.fullmatch(r"python3\.\d+", runtime):
        return None
    return f"invalid runtime '{runtime}'; expected a Lambda Python runtime like python3.12"


def stage_name_problem(name: str) -> str | None:
    if name == RESERVED_STAGE:
        return f"the stage name '{RESERVED_STAGE}' is reserved: the emulator's inspector lives at /{name}/"
    if _STAGE_NAME.fullmatch(name):
        return None
    return f"invalid stage name '{name}'; use letters, digits, '-' and '_'"


def variable_name_problem(name: str) -> str | None:
    if _VARIABLE_NAME.fullmatch(name):
        return None
    return f"invalid stage variable name '{name}'; use letters, digits and '_'"


def environment_name_problem(name: str) -> str | None:
    if name in RESERVED_ENVIRONMENT:
        return f"'{name}' is reserved: Lambda sets it itself and rejects it in a function's environment"
    if _ENVIRONMENT_NAME.fullmatch(name):
        return None
    return f"invalid environment variable name '{name}'; use a letter, then letters, digits and '_'"


def environment_size_problem(environment: Mapping[str, str]) -> str | None:
    """Lambda refuses a function whose variables pass 4 KB, so a config that runs here deploys there."""
    size = environment_size(environment)
    if size <= MAX_ENVIRONMENT_BYTES:
        return None
    return (
        f"the environment is {size:,} bytes as Lambda measures it (its variables as compact JSON), "
        f"over Lambda's limit of 4 KB ({MAX_ENVIRONMENT_BYTES:,} bytes) for all of a function's variables"
    )


def environment_size(environment: Mapping[str, str]) -> int:
    """The bytes of ``{"KEY":"value",...}``, names and values as UTF-8: what Lambda's 4 KB limit counts."""
    return len(json.dumps(dict(environment), separators=(",", ":"), ensure_ascii=False).encode())


def media_type_problem(media_type: str) -> str | None:
    if _MEDIA_TYPE.fullmatch(media_type):
        return None
    return f"invalid media type '{media_type}'; expected type/subtype, like image/png, image/* or */*"


def header_name_problem(name: str) -> str | None:
    if _HEADER_NAME.fullmatch(name):
        return None
    return f"invalid header name '{name}'"


def segments(path: str) -> list[str]:
    """The segments of a valid resource path; none for the root ``/``."""
    return path[1:].split("/") if path != "/" else []


def is_variable(segment: str) -> bool:
    return segment.startswith("{")


def resource_path_problem(path: str) -> str | None:
    """API Gateway's rules for a resource path template, e.g. ``/items/{id}`` or ``/files/{proxy+}``."""
    if not path.startswith("/"):
        return f"invalid resource path '{path}'; it must start with '/'"
    if path != "/" and path.endswith("/"):
        return f"invalid resource path '{path}'; remove the trailing '/'"
    parts = segments(path)
    names: set[str] = set()
    for index, segment in enumerate(parts):
        if not segment:
            return f"invalid resource path '{path}'; it has an empty segment ('//')"
        match = _VARIABLE_SEGMENT.fullmatch(segment)
        if match is None:
            if not _LITERAL_SEGMENT.fullmatch(segment):
                return (
                    f"invalid resource path '{path}'; segment '{segment}' is neither a literal "
                    "(letters, digits and -._~:@!$&'()*+,;=%), a '{name}' parameter nor a greedy '{name+}'"
                )
            continue
        name, greedy = match.groups()
        if greedy and index < len(parts) - 1:
            return (
                f"invalid resource path '{path}'; the greedy parameter '{segment}' must be the last segment"
            )
        if name in names:
            return f"invalid resource path '{path}'; the parameter '{name}' occurs twice"
        names.add(name)
    return None
