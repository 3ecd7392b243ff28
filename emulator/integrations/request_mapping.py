"""The integration request's body for the non-proxy kinds: a mapping template's text, or the client's body.

Which template applies is the request's Content-Type's (``templates.request_template``); without one,
the passthrough behaviour decides: ``WHEN_NO_MATCH`` passes the body through, ``WHEN_NO_TEMPLATES``
only when the integration has no templates at all, ``NEVER`` never; a refused body is AWS's 415.
The template was compiled with the deployment; one that fails while rendering is AWS's 500, with the
line and the reason in the log.
"""

from __future__ import annotations

from emulator.context import RequestContext
from emulator.errors import ApiConfigurationError, UnsupportedMediaType
from emulator.mapping.variables import template_variables
from emulator.mapping.vtl import TemplateRenderError
from emulator.model import NEVER, WHEN_NO_TEMPLATES
from emulator.templates import media_type, request_template


def mapped_request(ctx: RequestContext) -> str | None:
    """The rendered template, or ``None`` for the body passed through as it came."""
    assert ctx.request is not None and ctx.match is not None
    integration = ctx.match.method.integration
    content_type = ctx.request.header("content-type")
    template = request_template(integration.request_templates, content_type)
    if template is None:
        behavior = integration.passthrough_behavior
        if behavior == NEVER or (behavior == WHEN_NO_TEMPLATES and integration.request_templates):
            raise UnsupportedMediaType(
                f"no request template of {integration.describe()} matches {media_type(content_type)!r} and its "
                f"passthroughBehavior is {behavior}"
            )
        return None
    compiled = ctx.deployment.template(template)
    if compiled.static is not None:
        return compiled.static
    try:
        return compiled.render(template_variables(ctx, ctx.request.body))
    except TemplateRenderError as error:
        raise ApiConfigurationError(
            f"the request template of {integration.describe()} for {media_type(content_type)!r} failed at line "
            f"{error.line}: {error.problem} (Unable to transform request)"
        ) from None
