"""``plugins``, named and skipped, and serverless-offline's own settings (``custom.serverless-offline``).

apig-emu takes serverless-offline's place, so the settings that decide where its users send requests
are honoured: ``httpPort`` (``port`` in its older versions) is ``serve``'s port unless ``--port`` says
otherwise, ``prefix`` comes before every path, and ``noPrependStageInUrl`` serves the stage at the
root. Its other settings concern how serverless-offline runs Node.js (``useDocker``, ``lambdaPort``…)
and are named in a warning; so is every plugin, whose code apig-emu does not run.
"""

from __future__ import annotations

from emulator.config.serverless.values import At, Values
from emulator.model import Serving

OFFLINE = "serverless-offline"
_PORT_KEYS = ("httpPort", "port")


def read_plugins(values: Values, at: At | None) -> None:
    """A warning per plugin: the list form, or ``{localPath, modules}``."""
    if at is None:
        return
    item = values.value(at)
    if item is None:
        return
    modules = at
    if isinstance(item.value, dict):
        keys = values.keys(at, ("localPath", "modules"), what="plugins") or {}
        if "modules" not in keys:
            return
        modules = keys["modules"]
    for plugin in values.items(modules) or []:
        name = values.string(plugin)
        if name is None:
            continue
        if name == OFFLINE:
            values.warn(
                plugin,
                f"plugin '{name}' is not run: apig-emu serves in its place, with custom.{OFFLINE}'s httpPort, "
                "prefix and noPrependStageInUrl",
            )
        else:
            values.warn(
                plugin, f"plugin '{name}' is not run: apig-emu runs no Serverless plugins; it is skipped"
            )


def read_offline(values: Values, custom: At | None) -> Serving:
    """``custom.serverless-offline``: where the API is served."""
    if custom is None:
        return Serving()
    entries = values.entries(custom) or {}
    at = entries.get(OFFLINE)
    if at is None:
        return Serving()
    keys = values.entries(at) or {}
    port = None
    for key in _PORT_KEYS:
        if key in keys:
            port = values.integer(keys[key], 0, 65535)
            break
    prefix = ""
    if "prefix" in keys:
        prefix = (values.text(keys["prefix"]) or "").strip("/")
    stage_in_path = True
    if "noPrependStageInUrl" in keys:
        stage_in_path = values.boolean(keys["noPrependStageInUrl"]) is not True
    for key, item in keys.items():
        if key not in (*_PORT_KEYS, "prefix", "noPrependStageInUrl"):
            values.warn(
                item,
                f"custom.{OFFLINE}.{key} is serverless-offline's own setting, which apig-emu does not read; it is "
                "ignored",
            )
    return Serving(port=port, path_prefix=prefix, stage_in_path=stage_in_path)
