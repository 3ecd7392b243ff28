"""Step 2 of the chain: find the API, stage, resource and method for a request, as API Gateway does.

Each API's resources are compiled once into a tree. A lookup walks it a segment at a time, trying the
literal child first, then the ``{param}`` child, then the greedy ``{proxy+}`` child, and backtracks
only when a branch cannot consume the remaining segments: precedence by construction, with a cost
that depends on the path's depth and not on the number of routes. The method is then chosen on the
resolved resource (explicit verb over ``ANY``); a mismatch never falls back to another resource.

With the stage at the root (``Serving.stage_in_path`` false: ``serve --no-stage-prefix`` or a service's
``noPrependStageInUrl``), every API is served on its first stage, as behind a custom domain whose base
path mapping is empty: the first API (in definition order) whose resource and method match a path
answers it (``root_clashes`` says what that hides), and the event's ``path`` and
``requestContext.path`` are the path as requested, with no stage in it, as AWS writes them for a
custom domain.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from emulator.errors import ForbiddenNoStage, MissingAuthenticationToken, UnknownApi
from emulator.model import ANY, HTTP_METHODS, Definitions, Method, Resource, RestApi, Stage

log = logging.getLogger("apig_emu.routing")

#: ``{api-id}.execute-api.<anything>`` in a Host header picks the API, as on AWS's default endpoint.
_API_HOST = re.compile(r"^([a-z0-9]{10})\.execute-api\.", re.IGNORECASE)


@dataclass
class _Node:
    resource: Resource
    literals: dict[str, _Node] = field(default_factory=dict)
    variable: _Node | None = None
    variable_name: str = ""
    greedy: bool = False


# Per-request values are slotted, not frozen: a frozen dataclass's ``__init__`` sets every field
# through ``object.__setattr__`` (4x the cost), and these are built for every request.
@dataclass(slots=True)
class ResourceMatch:
    resource: Resource
    #: ``None`` when the resource template has no parameters (AWS sends ``null``).
    path_parameters: dict[str, str] | None


@dataclass(slots=True)
class RouteMatch:
    api: RestApi
    stage: Stage
    resource: Resource
    method: Method
    path_parameters: dict[str, str] | None
    #: The path without the stage, as the proxy event's ``path``.
    path: str
    #: The path with the stage, as the proxy event's ``requestContext.path``.
    stage_path: str


@dataclass(slots=True)
class SplitPath:
    stage: str
    #: Path segments after the stage; trailing and leading empty segments dropped (section 5).
    segments: list[str]
    path: str
    stage_path: str


def split_path(raw_path: str) -> SplitPath | None:
    """``//Prod//items/1/`` → stage ``Prod``, segments ``["items", "1"]``, path ``/items/1/``; ``None`` without a stage.

    A double slash before the stage is ignored entirely; one after it is kept only in
    ``requestContext.path`` (recorded on AWS, reference section 1.5).
    """
    trimmed = raw_path.lstrip("/")
    stage, slash, rest = trimmed.partition("/")
    if not stage:
        return None
    rest = slash + rest
    body = rest.strip("/")
    segments = body.split("/") if body else []
    path = "/" + rest.lstrip("/")
    return SplitPath(stage=stage, segments=segments, path=path, stage_path="/" + stage + rest)


def _at_root(raw_path: str, stage: str) -> SplitPath:
    """A path served without its stage: the event's ``path`` and ``requestContext.path`` are both the path."""
    body = raw_path.strip("/")
    path = "/" + raw_path.lstrip("/")
    return SplitPath(stage=stage, segments=body.split("/") if body else [], path=path, stage_path=path)


def root_stage(api: RestApi) -> Stage | None:
    """The stage an API serves at the root: its first (``--stage`` leaves it only one)."""
    return next(iter(api.stages.values()), None)


class ApiRouter:
    """The compiled resource tree of one API."""

    def __init__(self, api: RestApi) -> None:
        self.api = api
        self._root = self._compile(api)

    @staticmethod
    def _compile(api: RestApi) -> _Node:
        nodes: dict[str, _Node] = {}
        for path in sorted(api.resources, key=lambda p: (p.count("/"), p)):
            node = _Node(api.resources[path])
            nodes[path] = node
            if path == "/":
                continue
            parent_path, _, segment = path.rpartition("/")
            parent = nodes[parent_path or "/"]
            if segment.startswith("{") and segment.endswith("}"):
                name = segment[1:-1]
                node.greedy = name.endswith("+")
                parent.variable = node
                parent.variable_name = name.rstrip("+")
            else:
                parent.literals[segment] = node
        if "/" not in nodes:
            return _Node(Resource(path="/", id=""))
        return nodes["/"]

    def find_resource(self, segments: list[str]) -> ResourceMatch | None:
        found = self._walk(self._root, segments, 0, [])
        if found is None:
            return None
        node, params = found
        has_params = "{" in node.resource.path
        return ResourceMatch(node.resource, dict(params) if has_params else None)

    def _walk(
        self, node: _Node, segments: list[str], index: int, params: list[tuple[str, str]]
    ) -> tuple[_Node, list[tuple[str, str]]] | None:
        if index == len(segments):
            return node, params
        segment = segments[index]
        literal = node.literals.get(segment)
        if literal is not None:
            found = self._walk(literal, segments, index + 1, params)
            if found is not None:
                return found
        variable = node.variable
        if variable is None:
            return None
        if variable.greedy:
            return variable, [*params, (node.variable_name, "/".join(segments[index:]))]
        if segment:
            return self._walk(variable, segments, index + 1, [*params, (node.variable_name, segment)])
        return None


def select_method(resource: Resource, http_method: str) -> Method | None:
    """Explicit verb first, then ``ANY``, which covers AWS's seven verbs and nothing else."""
    method = resource.methods.get(http_method)
    if method is None and http_method in HTTP_METHODS:
        method = resource.methods.get(ANY)
    return method


class Router:
    """Routes requests over every API of a set of definitions, where their ``serving`` puts them.

    On AWS's default endpoint a path starts with the stage; a definition may ask for a prefix before
    it, or for its stage at the root (as a custom domain's empty base path maps it), where each API
    answers in its first stage and the event's paths have no stage in them.
    """

    def __init__(self, definitions: Definitions) -> None:
        self._by_id = {api.id: ApiRouter(api) for api in definitions.apis.values()}
        self._by_stage: dict[str, list[ApiRouter]] = {}
        for router in self._by_id.values():
            for stage in router.api.stages:
                self._by_stage.setdefault(stage, []).append(router)
        serving = definitions.serving
        self._prefix = "/" + serving.path_prefix.strip("/") if serving.path_prefix.strip("/") else ""
        self._stage_in_path = serving.stage_in_path

    def _unprefixed(self, raw_path: str) -> str | None:
        """The path after the serving prefix; ``None`` when it does not start with it."""
        if not self._prefix:
            return raw_path
        trimmed = "/" + raw_path.lstrip("/")
        if trimmed == self._prefix or trimmed.startswith(self._prefix + "/"):
            return trimmed[len(self._prefix) :] or "/"
        return None

    def _splits(self, raw_path: str) -> tuple[SplitPath | None, list[tuple[ApiRouter, SplitPath]]]:
        """The path as split for every API it may be meant for (by its stage, or each API's first stage)."""
        path = self._unprefixed(raw_path)
        if path is None:
            raise MissingAuthenticationToken(
                f"{raw_path} does not start with the served prefix {self._prefix}"
            )
        if self._stage_in_path:
            split = split_path(path)
            if split is None:
                raise ForbiddenNoStage("no stage in the path")
            return split, [(router, split) for router in self._by_stage.get(split.stage, [])]
        candidates = []
        for router in self._by_id.values():
            stage = root_stage(router.api)
            if stage is not None:
                candidates.append((router, _at_root(path, stage.name)))
        return None, candidates

    def match(self, http_method: str, raw_path: str, host: str) -> RouteMatch:
        split, candidates = self._splits(raw_path)
        host_match = _API_HOST.match(host)
        if host_match:
            api_id = host_match.group(1).lower()
            router = self._by_id.get(api_id)
            if router is None:
                raise UnknownApi(
                    f"Host {host!r} names API id {api_id!r}, which is not defined",
                    message=f"The API id '{api_id}' does not correspond to a deployed API Gateway API",
                )
            if split is None:
                stage = root_stage(router.api)
                split = _at_root(self._unprefixed(raw_path) or "/", stage.name if stage is not None else "")
            return self._match_in(router, http_method, split)
        if len(candidates) == 1:
            return self._match_in(candidates[0][0], http_method, candidates[0][1])
        if split is None:
            return self._first_at_root(http_method, raw_path, candidates)
        matches = []
        for router, routed in candidates:
            try:
                matches.append(self._match_in(router, http_method, routed))
            except MissingAuthenticationToken:
                continue
        if len(matches) == 1:
            return matches[0]
        if matches:
            names = ", ".join(sorted(m.api.name for m in matches))
            raise MissingAuthenticationToken(
                f"{http_method} {raw_path} matches several APIs ({names}); "
                "pick one with a Host: <api-id>.execute-api.localhost header"
            )
        raise MissingAuthenticationToken(f"no stage {split.stage!r} in any API")

    def _first_at_root(
        self, http_method: str, raw_path: str, candidates: list[tuple[ApiRouter, SplitPath]]
    ) -> RouteMatch:
        """At the root the first API that matches answers, as one server of several APIs must pick."""
        for router, routed in candidates:
            try:
                return self._match_in(router, http_method, routed)
            except MissingAuthenticationToken:
                continue
        names = ", ".join(router.api.name for router, _ in candidates)
        raise MissingAuthenticationToken(
            f"no resource and method of {names or 'any API'} match {http_method} {raw_path}"
        )

    def addressed_api(self, raw_path: str, host: str) -> tuple[RestApi, Stage | None] | None:
        """The API (and stage) a request was sent to even when nothing in it matched, for its gateway responses.

        On AWS the hostname names the API; here the ``Host`` header does, else the one API with the
        path's stage, else the only API. ``None`` when several APIs could be meant.
        """
        path = self._unprefixed(raw_path)
        split = split_path(path) if path is not None and self._stage_in_path else None
        host_match = _API_HOST.match(host)
        router: ApiRouter | None = None
        if host_match:
            router = self._by_id.get(host_match.group(1).lower())
        elif split is not None and len(self._by_stage.get(split.stage, [])) == 1:
            router = self._by_stage[split.stage][0]
        elif len(self._by_id) == 1:
            router = next(iter(self._by_id.values()))
        if router is None:
            return None
        if not self._stage_in_path:
            return router.api, root_stage(router.api)
        return router.api, router.api.stages.get(split.stage) if split is not None else None

    @staticmethod
    def _match_in(router: ApiRouter, http_method: str, split: SplitPath) -> RouteMatch:
        api = router.api
        stage = api.stages.get(split.stage)
        if stage is None:
            raise MissingAuthenticationToken(f"API {api.name!r} has no stage {split.stage!r}")
        found = router.find_resource(split.segments)
        if found is None:
            raise MissingAuthenticationToken(f"no resource of API {api.name!r} matches {split.path}")
        method = select_method(found.resource, http_method)
        if method is None:
            raise MissingAuthenticationToken(
                f"resource {found.resource.path} of API {api.name!r} has no {http_method} or ANY method"
            )
        return RouteMatch(
            api=api,
            stage=stage,
            resource=found.resource,
            method=method,
            path_parameters=found.path_parameters,
            path=split.path,
            stage_path=split.stage_path,
        )
