"""A deployment: everything a request needs, compiled once from the definitions and never changed.

``deploy`` is pure: it reads the model and builds the router and the key ring (API keys by value,
usage plans by API stage) and, as the mapping and access-control features arrive, compiled templates,
validators and authorizers beside them. Reloading a changed config deploys anew and swaps the
gateway's deployment, as each deploy on AWS is a new deployment of the stage; a request keeps the
deployment it started with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.auth.access import Access, compile_access
from emulator.auth.usage import KeyRing, key_ring
from emulator.model import Definitions
from emulator.not_executed import Note, not_executed
from emulator.routing import Router


@dataclass(frozen=True)
class Deployment:
    definitions: Definitions
    router: Router
    #: The API keys by value and the usage plans of each API stage.
    key_ring: KeyRing
    #: What the methods define that the gateway does not execute yet (``emulator.not_executed``).
    notes: tuple[Note, ...] = ()
    #: The authorizers' compiled checks (keys parsed once) and whether authorization is off.
    access: Access = field(default_factory=Access)
    #: Advice the log gives once per deployment rather than on every request (a reload gives it anew):
    #: keys of what was said.
    advised: set[str] = field(default_factory=set, compare=False, repr=False)

    def advise_once(self, key: str) -> bool:
        """``True`` the first time ``key`` is seen in this deployment."""
        if key in self.advised:
            return False
        self.advised.add(key)
        return True


def deploy(definitions: Definitions, *, auth_off: bool = False) -> Deployment:
    """``auth_off``: ``--auth off``, every method served without its authorization (``emulator.auth.step``)."""
    return Deployment(
        definitions=definitions,
        router=Router(definitions),
        key_ring=key_ring(definitions),
        notes=not_executed(definitions),
        access=compile_access(definitions, off=auth_off),
    )
