"""What serving every API at the root (``--no-stage-prefix``) hides, said once when the routes are shown.

On AWS one custom domain maps its empty base path to one API stage; ``sam local start-api`` and
serverless-offline's ``noPrependStageInUrl`` serve everything at the root anyway. So does apig-emu,
and where two could answer the same request the first wins (``routing.Router``): the second stage of
an API (every path of the API is then the first stage's), or a later API's method whose path an
earlier API's resource could match (literal or ``{param}`` segments, a greedy ``{proxy+}``). Each
clash is named here with what picks the other one: ``--stage``, or a ``Host`` header naming the API.
"""

from __future__ import annotations

from collections.abc import Iterator

from emulator.model import ANY, Definitions, Resource, RestApi
from emulator.routing import root_stage

#: Clashes listed between two APIs before the rest are counted.
SHOWN = 5


def root_clashes(definitions: Definitions) -> list[str]:
    """One line per clash, or none when at most one stage of one API answers each path."""
    lines = []
    apis = [api for api in definitions.apis.values() if root_stage(api) is not None]
    for api in apis:
        if len(api.stages) > 1:
            first, *others = api.stages
            lines.append(
                f"api '{api.name}' has stages {', '.join(api.stages)}: at the root only its first, {first}, "
                f"answers (--stage {others[0]} serves another)"
            )
    for index, later in enumerate(apis):
        for earlier in apis[:index]:
            hidden = list(_hidden(earlier, later))
            for verb, path, answered in hidden[:SHOWN]:
                lines.append(
                    f"{verb} {path} of api '{later.name}' (stage {_stage(later)}) may be answered at the root by "
                    f"api '{earlier.name}' (stage {_stage(earlier)}, {answered}), which comes first"
                )
            if len(hidden) > SHOWN:
                lines.append(
                    f"... and {len(hidden) - SHOWN} more methods of api '{later.name}' that api "
                    f"'{earlier.name}' may answer"
                )
    if len(lines) > 0 and len(apis) > 1:
        lines.append(
            "at the root, pick an API with a 'Host: <api-id>.execute-api.localhost' header, or serve one "
            "stage with --stage NAME"
        )
    return lines


def _stage(api: RestApi) -> str:
    stage = root_stage(api)
    return stage.name if stage is not None else ""


def _hidden(earlier: RestApi, later: RestApi) -> Iterator[tuple[str, str, str]]:
    """Each method of ``later`` that a resource and method of ``earlier`` could answer instead."""
    for path, resource in sorted(later.resources.items()):
        for verb in resource.methods:
            for other_path, other in sorted(earlier.resources.items()):
                answered = _answering(verb, other)
                if answered is not None and _overlap(_segments(path), _segments(other_path)):
                    yield verb, path, f"{answered} {other_path}"
                    break


def _answering(verb: str, resource: Resource) -> str | None:
    """The method of ``resource`` that would take requests meant for ``verb`` elsewhere."""
    if verb == ANY:
        return next(iter(resource.methods), None)
    if verb in resource.methods:
        return verb
    return ANY if ANY in resource.methods else None


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _overlap(first: list[str], second: list[str]) -> bool:
    """Whether some request path matches both resource paths."""
    if not first or not second:
        return not first and not second
    one, other = first[0], second[0]
    if _greedy(one) or _greedy(other):
        return True  # {proxy+} takes one or more segments, and both have one left
    if one == other or _variable(one) or _variable(other):
        return _overlap(first[1:], second[1:])
    return False


def _variable(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _greedy(segment: str) -> bool:
    return _variable(segment) and segment.endswith("+}")
