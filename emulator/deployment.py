"""A deployment: everything a request needs, compiled once from the definitions and never changed.

``deploy`` is pure: it reads the model and builds the router and the request validators' checks
(and, as the mapping and access-control features arrive, compiled templates and authorizers) beside
it. What it cannot build is a load error too (``deployment_errors``), so ``validate`` reports it
where it is written. Reloading a changed
config deploys anew and swaps the gateway's deployment, as each deploy on AWS is a new deployment of
the stage; a request keeps the deployment it started with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from emulator.config.errors import ConfigError, ConfigErrors
from emulator.method_request import MethodKey, RequestCheck, compile_checks
from emulator.model import Definitions
from emulator.not_executed import Note, not_executed
from emulator.routing import Router


@dataclass(frozen=True)
class Deployment:
    definitions: Definitions
    router: Router
    #: What the methods define that the gateway does not execute yet (``emulator.not_executed``).
    notes: tuple[Note, ...] = ()
    #: What each method's request validator checks, for the methods whose validator checks something.
    request_checks: Mapping[MethodKey, RequestCheck] = field(default_factory=dict)
    #: Advice the log gives once per deployment rather than on every request (a reload gives it anew):
    #: keys of what was said.
    advised: set[str] = field(default_factory=set, compare=False, repr=False)

    def advise_once(self, key: str) -> bool:
        """``True`` the first time ``key`` is seen in this deployment."""
        if key in self.advised:
            return False
        self.advised.add(key)
        return True


def deploy(definitions: Definitions) -> Deployment:
    """The deployment of ``definitions``; ``ConfigErrors`` when they cannot be deployed (``deployment_errors``)."""
    checks, problems = compile_checks(definitions)
    if problems:
        raise ConfigErrors(problems)
    return Deployment(
        definitions=definitions,
        router=Router(definitions),
        notes=not_executed(definitions),
        request_checks=checks,
    )


def deployment_errors(definitions: Definitions) -> list[ConfigError]:
    """What ``deploy`` would refuse in ``definitions``: a model that is not a draft 4 schema, say."""
    return compile_checks(definitions)[1]
