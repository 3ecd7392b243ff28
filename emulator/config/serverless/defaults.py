"""What Serverless v3 deploys for an http event that leaves a setting out.

``integration: lambda`` gets a request template per content type that wraps the request in one JSON
object (``body``, ``method``, ``principalId``, ``stage``, ``cognitoPoolClaims``,
``enhancedAuthContext``, ``headers``, ``query``, ``path``, ``identity``, ``stageVariables``,
``requestPath``), the ``NEVER`` passthrough, and an integration response per status code, selected by
a ``[404]``-style marker in the function's error message. ``cors: true`` allows these headers and
any origin. These are the facts a handler written for Serverless relies on, so they are kept here as
Serverless stores them in its CloudFormation template; the templates need Velocity to run.
"""

from __future__ import annotations

from collections.abc import Sequence

#: ``integration: lambda``'s passthrough when ``request.passThrough`` is not given.
PASSTHROUGH = "NEVER"

#: Status code -> selection pattern over the function's error message ('' is the default response).
STATUS_CODES: dict[str, str] = {
    "200": "",
    "400": r"[\s\S]*\[400\][\s\S]*",
    "401": r"[\s\S]*\[401\][\s\S]*",
    "403": r"[\s\S]*\[403\][\s\S]*",
    "404": r"[\s\S]*\[404\][\s\S]*",
    "422": r"[\s\S]*\[422\][\s\S]*",
    "500": r"[\s\S]*(Process\s?exited\s?before\s?completing\s?request|\[500\])[\s\S]*",
    "502": r"[\s\S]*\[502\][\s\S]*",
    "504": r"([\s\S]*\[504\][\s\S]*)|(.*Task timed out after \d+\.\d+ seconds$)",
}

#: ``cors: true``'s Access-Control-Allow-Headers (Serverless v3).
CORS_HEADERS: tuple[str, ...] = (
    "Content-Type",
    "X-Amz-Date",
    "Authorization",
    "X-Api-Key",
    "X-Amz-Security-Token",
    "X-Amz-User-Agent",
    "X-Amzn-Trace-Id",
)
CORS_ORIGIN = "*"

#: The request template of a CORS preflight's MOCK integration, as Serverless writes it.
PREFLIGHT_REQUEST_TEMPLATE = "{statusCode:200}"
PREFLIGHT_CONTENT_HANDLING = "CONVERT_TO_TEXT"

#: A Velocity macro writing ``$map`` as a JSON object of strings.
_MAP_AS_JSON = """#define( $loop )
{
#foreach( $key in $map.keySet() )
#set( $k = $util.escapeJavaScript($key) )
#set( $v = $util.escapeJavaScript($map.get($key)).replaceAll("\\\\'", "'") )
"$k": "$v"#if( $foreach.hasNext ),#end
#end
}
#end
"""

#: The form body as a JSON object of its decoded fields.
_FORM_BODY = """#define( $body )
{
#foreach( $token in $input.path('$').split('&') )
#set( $keyVal = $token.split('=') )
#set( $keyValSize = $keyVal.size() )
#if( $keyValSize >= 1 )
#set( $key = $util.escapeJavaScript($util.urlDecode($keyVal[0])) )
#if( $keyValSize >= 2 )
#set( $val = $util.escapeJavaScript($util.urlDecode($keyVal[1])).replaceAll("\\\\'", "'") )
#else
#set( $val = '' )
#end
"$key": "$val"#if( $foreach.hasNext ),#end
#end
#end
}
#end
"""

_JSON_BODY = """#set( $body = $input.json("$") )
"""


def _event(claims: str) -> str:
    """The object every default template renders: the request as Serverless hands it to the function."""
    maps = [
        ("enhancedAuthContext", "$context.authorizer"),
        ("headers", "$input.params().header"),
        ("query", "$input.params().querystring"),
        ("path", "$input.params().path"),
        ("identity", "$context.identity"),
        ("stageVariables", "$stageVariables"),
    ]
    lines = [
        "{",
        '"body": $body,',
        '"method": "$context.httpMethod",',
        '"principalId": "$context.authorizer.principalId",',
        '"stage": "$context.stage",',
        '"cognitoPoolClaims": {',
        f'{claims}"sub": "$context.authorizer.claims.sub"',
        "},",
    ]
    for name, source in maps:
        lines += [f"#set( $map = {source} )", f'"{name}": $loop,']
    lines += ['"requestPath": "$context.resourcePath"', "}"]
    return "\n".join(lines) + "\n"


def claim_fields(claims: Sequence[str]) -> str:
    """An authorizer's ``claims`` as ``cognitoPoolClaims`` fields; a namespaced claim keeps its last part."""
    fields = []
    for claim in claims:
        _, colon, name = claim.partition(":")
        if colon:
            fields.append(f'"{name}": "$context.authorizer.claims[\'{claim}\']"')
        else:
            fields.append(f'"{claim}": "$context.authorizer.claims.{claim}"')
    return ",".join(fields) + "," if fields else ""


def request_templates(claims: Sequence[str] = ()) -> dict[str, str]:
    """``integration: lambda``'s request templates by content type, with the authorizer's extra claims."""
    event = _event(claim_fields(claims))
    return {
        "application/json": _JSON_BODY + _MAP_AS_JSON + event,
        "application/x-www-form-urlencoded": _FORM_BODY + _MAP_AS_JSON + event,
    }
