"""The Lambda context object and environment a handler sees (reference section 11)."""

from __future__ import annotations

import os
import sys
import time

from emulator.account import REGION, lambda_arn
from emulator.lambda_function import Function

RUNTIME_NAME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def function_arn(function: Function) -> str:
    return lambda_arn(function.name)


def log_stream_name(created: float | None = None) -> str:
    """``YYYY/MM/DD/[$LATEST]<32 hex>``: one stream per execution environment.

    Without ``secrets`` and ``datetime``, which a worker would import for nothing: they load OpenSSL's
    library, a tenth of the worker's own memory.
    """
    day = time.strftime("%Y/%m/%d", time.gmtime(created or time.time()))
    return f"{day}/[$LATEST]{os.urandom(16).hex()}"


class LambdaContext:
    """What Lambda passes as ``context``; attribute names follow the Python runtime's."""

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(self, function: Function, aws_request_id: str, deadline: float, stream: str) -> None:
        self.function_name = function.name
        self.memory_limit_in_mb = str(function.memory)
        self.invoked_function_arn = function_arn(function)
        self.aws_request_id = aws_request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = stream
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return (
            f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r}, "
            f"remaining_ms={self.get_remaining_time_in_millis()})"
        )


def lambda_environment(function: Function, stream: str) -> dict[str, str]:
    """Lambda's reserved variables over the function's own (the loader rejects reserved names).

    Credentials are not invented: the developer's own, if any, stay visible, so a handler can reach
    real AWS services from a laptop as it would with its execution role.
    """
    env = {
        "_HANDLER": function.handler,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{RUNTIME_NAME}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "LAMBDA_TASK_ROOT": str(function.code_dir),
        "LAMBDA_RUNTIME_DIR": os.path.dirname(os.__file__),
        "TZ": ":UTC",
    }
    return {**function.environment, **env}
