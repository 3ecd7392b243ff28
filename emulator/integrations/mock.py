"""``MOCK``: the method answers by itself, so a frontend can be built before its backend exists.

As on AWS, the request template's ``statusCode`` is the integration's answer; the integration response
it selects sets the status, headers and body. A mock has no ``X-Amzn-Trace-Id`` (reference 4.3).
"""

from __future__ import annotations

import asyncio
import json
import re

from emulator.context import RequestContext
from emulator.errors import IntegrationFailure, IntegrationTimeout
from emulator.integrations.base import BackendReply
from emulator.integrations.request_mapping import mapped_request
from emulator.mapping.content_handling import integration_body


class MockIntegration:
    async def request(self, ctx: RequestContext) -> None:
        assert ctx.request is not None
        text = mapped_request(ctx)
        # Without a template the body passes through and is read the same way (passthrough behaviour).
        ctx.rendered_request = integration_body(ctx).decode("utf-8", "replace") if text is None else text

    async def invoke(self, ctx: RequestContext) -> None:
        assert ctx.match is not None
        integration = ctx.match.method.integration
        if integration.latency_ms >= integration.timeout_ms:
            await asyncio.sleep(integration.timeout_ms / 1000)
            raise IntegrationTimeout(
                f"{integration.describe()} takes {integration.latency_ms} ms, past the integration timeout of "
                f"{integration.timeout_ms} ms"
            )
        if integration.latency_ms:
            await asyncio.sleep(integration.latency_ms / 1000)
        assert ctx.rendered_request is not None
        status = _status_code(ctx.rendered_request)
        ctx.backend = BackendReply(status, selector=str(status))


#: ``{statusCode: 200}`` as CDK writes it: AWS accepts the key unquoted (reference section 9).
_LOOSE_STATUS = re.compile(r'^\s*\{\s*"?statusCode"?\s*:\s*(\d{3})\s*[,}]')


def _status_code(rendered: str) -> int:
    """The ``statusCode`` of a MOCK's rendered request: the only thing a MOCK integration reads."""
    try:
        value = json.loads(rendered)
    except ValueError:
        loose = _LOOSE_STATUS.match(rendered)
        value = {"statusCode": int(loose.group(1))} if loose else None
    status = value.get("statusCode") if isinstance(value, dict) else None
    if isinstance(status, int) and not isinstance(status, bool) and 100 <= status <= 599:
        return status
    raise IntegrationFailure(f"the MOCK integration's request has no valid statusCode: {rendered[:200]!r}")
