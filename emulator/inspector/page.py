"""The inspector's HTML page, with the route table already in it.

The table is rendered here rather than fetched by the page's script, so the first response paints
it: the page is useful at once, even before (or without) its script's first call to the API. Every
value is HTML-escaped; a ``Host`` header or a name in the config cannot add markup to the page.
"""

from __future__ import annotations

from html import escape
from importlib import resources

from emulator.table import NON_PROXY_NOTE, RouteRow

#: Where the template's table body goes; the template is ``index.html`` in this package.
_ROUTES_SLOT = "<!--routes-->"


def _cell(value: str, *, mono: bool = False, title: str = "") -> str:
    attributes = (' class="mono"' if mono else "") + (f' title="{escape(title)}"' if title else "")
    return f"<td{attributes}>{escape(value)}</td>"


def route_table_rows(rows: list[RouteRow]) -> str:
    """The ``<tr>`` elements of the route table, one per method, as ``apig-emu routes`` lists them."""
    if not rows:
        return '<tr><td colspan="6" class="dim">no routes defined</td></tr>'
    return "\n".join(
        "<tr>"
        + _cell(row.method, mono=True)
        + _cell(row.url, mono=True)
        + _cell(
            row.shown_integration + (" \u26a0" if row.notes else ""),
            title="\n".join(
                [
                    *(f"not yet: {note}" for note in row.notes),
                    *([NON_PROXY_NOTE] if row.non_proxy_lambda else []),
                ]
            ),
        )
        + _cell(row.target or "-")
        + _cell("yes" if row.cors else "")
        + _cell(f"{row.api} ({row.api_id})")
        + "</tr>"
        for row in rows
    )


def render_page(rows: list[RouteRow]) -> bytes:
    template = resources.files("emulator.inspector").joinpath("index.html").read_text("utf-8")
    return template.replace(_ROUTES_SLOT, route_table_rows(rows), 1).encode()
