"""A deployment: everything a request needs, compiled once from the definitions and never changed.

``deploy`` is pure: it reads the model and builds the router (and, as the mapping and access-control
features arrive, compiled templates, validators and authorizers) beside it. Reloading a changed
config deploys anew and swaps the gateway's deployment, as each deploy on AWS is a new deployment of
the stage; a request keeps the deployment it started with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.model import Definitions
from emulator.not_executed import Note, not_executed
from emulator.routing import Router


@dataclass(frozen=True)
class Deployment:
    definitions: Definitions
    router: Router
    #: What the methods define that the gateway does not execute yet (``emulator.not_executed``).
    notes: tuple[Note, ...] = ()

    @property
    def stage_prefix(self) -> bool:
        """Whether URLs start with the stage, as on the default endpoint, or not, as on a custom domain."""
        return self.router.stage_prefix

    #: Advice the log gives once per deployment rather than on every request (a reload gives it anew):
    #: keys of what was said.
    advised: set[str] = field(default_factory=set, compare=False, repr=False)

    def advise_once(self, key: str) -> bool:
        """``True`` the first time ``key`` is seen in this deployment."""
        if key in self.advised:
            return False
        self.advised.add(key)
        return True


def deploy(definitions: Definitions, *, stage_prefix: bool = True) -> Deployment:
    """``stage_prefix=False`` serves every API at the root (``serve --no-stage-prefix``)."""
    return Deployment(
        definitions=definitions,
        router=Router(definitions, stage_prefix=stage_prefix),
        notes=not_executed(definitions),
    )
