"""The inspector's first response: the page arrives with the route table in it, escaped.

The page used to arrive with an empty table and "connecting…", and filled the table from a later
call to ``api/routes``; now the first paint shows the routes (the browser side of this is
``tests/browser/test_browser_inspector.py``).
"""

from __future__ import annotations

from html.parser import HTMLParser

from emulator.table import NON_PROXY_NOTE
from emulator.testing import GatewayClient
from tests.conftest import MakeHarness, inspector_client
from tests.test_inspector import CONFIG


class PageReader(HTMLParser):
    """The route table's cells, the status line, and every element of the page with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.status = ""
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self._in: list[str] = []
        self._cell: list[str] | None = None
        self._in_routes_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "table" and attributes.get("id") == "routes":
            self._in.append("routes")
        elif tag == "tbody" and "routes" in self._in:
            self._in_routes_body = True
        elif tag == "tr" and self._in_routes_body:
            self.rows.append([])
        elif tag == "td" and self._in_routes_body:
            self._cell = []
        elif tag == "span" and attributes.get("id") == "status":
            self._in.append("status")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "tbody":
            self._in_routes_body = False
        elif tag == "span" and "status" in self._in:
            self._in.remove("status")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif "status" in self._in:
            self.status += data


def read_page(html: str) -> PageReader:
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return reader


def test_the_first_response_carries_the_route_table(inspector: GatewayClient) -> None:
    page = read_page(inspector.get("/_emu/", headers={"Host": "localhost:4000"}).text)
    shop = "shop (utoc8vrvpr)"
    assert page.rows == [
        ["OPTIONS", "http://localhost:4000/Prod/chatty", "cors-preflight", "-", "yes", shop],
        ["POST", "http://localhost:4000/Prod/chatty", "lambda (non-proxy)", "chatty", "yes", shop],
        ["POST", "http://localhost:4000/Prod/count", "lambda (non-proxy)", "count", "", shop],
        ["GET", "http://localhost:4000/Prod/orders", "mock", "(orders)", "yes", shop],
        ["OPTIONS", "http://localhost:4000/Prod/orders", "cors-preflight", "-", "yes", shop],
        ["OPTIONS", "http://localhost:4000/Prod/proxy", "cors-preflight", "-", "yes", shop],
        ["POST", "http://localhost:4000/Prod/proxy", "lambda-proxy", "respond", "yes", shop],
    ]
    # Hovering a non-proxy cell says what it means, as the printed table's footnote does.
    titles = [attributes.get("title") for tag, attributes in page.elements if tag == "td"]
    assert titles.count(NON_PROXY_NOTE) == 2 and len(set(titles)) == 2
    assert page.status == "loading recent requests…"  # not "connecting…": the emulator has answered


def test_the_page_and_the_json_list_the_same_routes(inspector: GatewayClient) -> None:
    page = read_page(inspector.get("/_emu/").text)
    routes = inspector.get("/_emu/api/routes").json()
    assert [(row[0], row[1], row[3]) for row in page.rows] == [
        (route["method"], route["url"], route["target"] or "-") for route in routes
    ]
    # The JSON keeps the short kind for scripts; the page spells the non-proxy default out.
    assert {route["integration"] for route in routes} == {"lambda", "lambda-proxy", "mock", "cors-preflight"}


def test_index_html_is_the_same_page(inspector: GatewayClient) -> None:
    assert (
        read_page(inspector.get("/_emu/index.html").text).rows == read_page(inspector.get("/_emu/").text).rows
    )


def test_no_routes_is_said_in_the_table(make_harness: MakeHarness) -> None:
    with inspector_client(make_harness("apis: {shop: {}}")) as inspector:
        assert read_page(inspector.get("/_emu/").text).rows == [["no routes defined"]]


def test_the_page_follows_a_new_gateway(inspector: GatewayClient, make_harness: MakeHarness) -> None:
    inspector.app.state.gateway = make_harness(CONFIG.replace("/orders", "/invoices")).gateway
    urls = [row[1] for row in read_page(inspector.get("/_emu/").text).rows]
    assert "http://localhost:3000/Prod/invoices" in urls
    assert "http://localhost:3000/Prod/orders" not in urls


def test_markup_in_a_host_header_or_a_name_is_shown_as_text(make_harness: MakeHarness) -> None:
    config = """
    apis:
      "<img src=x onerror=alert(1)>": {}
    functions:
      f:
        handler: cases.echo
        triggers: [{api: "<img src=x onerror=alert(1)>", resource: "/a", method: GET}]
    """
    host = 'evil"><script>alert(1)</script>'
    with inspector_client(make_harness(config)) as inspector:
        response = inspector.get("/_emu/", headers={"Host": host})
    page = read_page(response.text)
    assert [row[1] for row in page.rows] == [f"http://{host}/Prod/a"]
    assert page.rows[0][5].startswith("<img src=x onerror=alert(1)> (")
    assert [tag for tag, _ in page.elements].count("script") == 1  # the page's own, nothing injected
    assert not any(tag == "img" for tag, _ in page.elements)
    assert "&lt;script&gt;" in response.text and "&lt;img" in response.text


def test_the_page_loads_nothing_from_elsewhere(inspector: GatewayClient) -> None:
    page = read_page(inspector.get("/_emu/").text)
    links = [
        value
        for _, attributes in page.elements
        for name, value in attributes.items()
        if name in ("src", "href")
    ]
    assert links and all(
        value is not None and (value.startswith("/_emu/") or value.startswith("data:")) for value in links
    )
