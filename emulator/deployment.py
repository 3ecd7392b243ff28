"""A deployment: everything a request needs, compiled once from the definitions and never changed.

``deploy`` is pure: it reads the model and builds the router and every mapping template, compiled
(and, as the access-control features arrive, validators and authorizers) beside it. Reloading a changed
config deploys anew and swaps the gateway's deployment, as each deploy on AWS is a new deployment of
the stage; a request keeps the deployment it started with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.mapping.compiled import Compiled, Templates, compile_one, compile_templates
from emulator.model import Definitions
from emulator.not_executed import Note, not_executed
from emulator.routing import Router


@dataclass(frozen=True)
class Deployment:
    definitions: Definitions
    router: Router
    #: What the methods define that the gateway does not execute yet (``emulator.not_executed``).
    notes: tuple[Note, ...] = ()
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


def deploy(definitions: Definitions) -> Deployment:
    return Deployment(
        definitions=definitions,
        router=Router(definitions),
        notes=not_executed(definitions),
        templates=compile_templates(definitions),
    )
