"""A deployment: everything a request needs, compiled once from the definitions and never changed.

``deploy`` is pure: it reads the model and builds the router, the key ring (API keys by value, usage
plans by API stage), the authorizers' checks, every mapping template (compiled) and the request
validators' checks beside it. What it cannot build is a load error too (``deployment_errors``), so
``validate`` reports it where it is written. Reloading a changed config deploys anew and swaps the
gateway's deployment, as each deploy on AWS is a new deployment of the stage; a request keeps the
deployment it started with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from emulator.auth.access import Access, compile_access
from emulator.auth.usage import KeyRing, key_ring
from emulator.config.errors import ConfigError, ConfigErrors
from emulator.mapping.compiled import Compiled, Templates, compile_one, compile_templates
from emulator.method_request import MethodKey, RequestCheck, compile_checks
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
    #: What each method's request validator checks, for the methods whose validator checks something.
    request_checks: Mapping[MethodKey, RequestCheck] = field(default_factory=dict)
    #: Every mapping template of the definitions, compiled, by its text (``emulator.mapping.compiled``).
    templates: Templates = field(default_factory=dict, compare=False, repr=False)
    #: Advice the log gives once per deployment rather than on every request (a reload gives it anew):
    #: keys of what was said.
    advised: set[str] = field(default_factory=set, compare=False, repr=False)

    def advise_once(self, key: str) -> bool:
        """``True`` the first time ``key`` is seen in this deployment."""
        if key in self.advised:
            return False
        self.advised.add(key)
        return True

    def template(self, text: str) -> Compiled:
        """The compiled template for ``text``; one the definitions did not hold (changed since) is compiled now."""
        compiled = self.templates.get(text)
        if compiled is None:
            compiled = self.templates[text] = compile_one(text)
        return compiled


def deploy(definitions: Definitions, *, auth_off: bool = False) -> Deployment:
    """The deployment of ``definitions``; ``ConfigErrors`` when they cannot be deployed (``deployment_errors``).

    ``auth_off``: ``--auth off``, every method served without its authorization (``emulator.auth.step``).
    """
    checks, problems = compile_checks(definitions)
    if problems:
        raise ConfigErrors(problems)
    return Deployment(
        definitions=definitions,
        router=Router(definitions),
        key_ring=key_ring(definitions),
        notes=not_executed(definitions),
        access=compile_access(definitions, off=auth_off),
        request_checks=checks,
        templates=compile_templates(definitions),
    )


def deployment_errors(definitions: Definitions) -> list[ConfigError]:
    """What ``deploy`` would refuse in ``definitions``: a model that is not a draft 4 schema, say."""
    return compile_checks(definitions)[1]
