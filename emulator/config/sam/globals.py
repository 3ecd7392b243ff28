"""SAM's ``Globals``: properties every function (or API) of the template has unless it says otherwise.

As SAM merges them: a resource's own value wins; mappings (``Environment.Variables``) are merged key
by key; lists (``Layers``) are the global items followed by the resource's. A property that comes
from ``Globals`` keeps its line there, so an error about it points where it is written.
"""

from __future__ import annotations

from typing import Any

from emulator.config.cloudformation.document import TemplatePath
from emulator.config.cloudformation.intrinsics import is_intrinsic
from emulator.config.cloudformation.properties import Properties
from emulator.config.cloudformation.template import Template, TemplateResource


def with_globals(template: Template, resource: TemplateResource | None, section: str) -> Properties:
    """The resource's properties merged over ``Globals.<section>`` (only the globals without a resource)."""
    globals_path: TemplatePath = ("Globals", section)
    found = template.document.section("Globals").get(section)
    shared: dict[str, Any] = found if isinstance(found, dict) else {}
    own = dict(resource.properties) if resource is not None else {}
    path = (*resource.path, "Properties") if resource is not None else globals_path
    return Properties(template, path, _merge(shared, own), (globals_path, shared))


def _merge(shared: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = dict(shared)
    for key, value in own.items():
        common = merged.get(key)
        if (
            isinstance(common, dict)
            and isinstance(value, dict)
            and _plain_mapping(common)
            and _plain_mapping(value)
        ):
            merged[key] = _merge(common, value)
        elif isinstance(common, list) and isinstance(value, list):
            merged[key] = [*common, *value]
        else:
            merged[key] = value
    return merged


def _plain_mapping(value: Any) -> bool:
    return isinstance(value, dict) and not is_intrinsic(value)
