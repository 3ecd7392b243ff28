"""The integration request's body for the non-proxy kinds: a mapping template's text, or the client's body.

Which template applies is the request's Content-Type's (``templates.request_template``); without one,
the passthrough behaviour decides: ``WHEN_NO_MATCH`` passes the body through, ``WHEN_NO_TEMPLATES``
only when the integration has no templates at all, ``NEVER`` never; a refused body is AWS's 415.
"""

from __future__ import annotations

from emulator.context import RequestContext
from emulator.errors import IntegrationFailure, UnsupportedMediaType
from emulator.mapping.content_handling import request_payload
from emulator.model import NEVER, WHEN_NO_TEMPLATES
from emulator.templates import media_type, request_template, static_text


def mapped_request(ctx: RequestContext) -> str | None:
    """The rendered template, or ``None`` for the body passed through (``ctx.integration_body``, converted
    by contentHandling)."""
    assert ctx.request is not None and ctx.match is not None
    integration = ctx.match.method.integration
    content_type = ctx.request.header("content-type")
    template = request_template(integration.request_templates, content_type)
    behavior = integration.passthrough_behavior
    if template is None and (
        behavior == NEVER or (behavior == WHEN_NO_TEMPLATES and integration.request_templates)
    ):
        raise UnsupportedMediaType(
            f"no request template of {integration.describe()} matches {media_type(content_type)!r} and its "
            f"passthroughBehavior is {behavior}"
        )
    request_payload(ctx, templated=template is not None)
    if template is None:
        return None
    text = static_text(template)
    if text is None:
        raise IntegrationFailure(
            f"the request template of {integration.describe()} for {media_type(content_type)!r} needs Velocity, "
            f"which is not executed yet: {template[:200]!r}"
        )
    return text
