"""The JSONPath of ``$input.path``/``$input.json`` and body mappings, as Jayway's (AWS's) answers it."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.mapping.jsonpath import JsonPathError, body_path, compile_path

DOC: dict[str, Any] = {
    "store": {
        "book": [
            {"title": "A", "price": 8, "tags": ["x"]},
            {"title": "B", "price": 12},
            {"title": "C", "price": 5, "author": {"name": "Z"}},
        ],
        "bicycle": {"color": "red", "price": 19},
    },
    "weird key": 1,
    "a.b": 2,
    "n": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DOC),
        ("$.store.bicycle.color", "red"),
        ("$['store']['bicycle']['color']", "red"),
        ('$["store"].bicycle["price"]', 19),
        ("$['weird key']", 1),
        ("$['a.b']", 2),
        ("$.store.book[0].title", "A"),
        ("$.store.book[-1].title", "C"),
        ("$.store.book[2].author.name", "Z"),
        ("$.n", None),
        (" $.store.bicycle.color ", "red"),
    ],
)
def test_definite_paths_give_the_value(path: str, expected: Any) -> None:
    assert compile_path(path).find(DOC) == expected


@pytest.mark.parametrize(
    "path",
    ["$.missing", "$.store.book[3]", "$.store.book[-4]", "$.store.bicycle[0]", "$.store.book.title", "$.n.x"],
)
def test_a_definite_path_that_reaches_nothing_gives_none(path: str) -> None:
    assert compile_path(path).find(DOC) is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.store.book[*].title", ["A", "B", "C"]),
        ("$.store.book.*.price", [8, 12, 5]),
        ("$.store.bicycle.*", ["red", 19]),
        ("$..price", [8, 12, 5, 19]),
        ("$..name", ["Z"]),
        ("$..missing", []),
        ("$.store..title", ["A", "B", "C"]),
        ("$..book[0].title", ["A"]),
        ("$..['color']", ["red"]),
        ("$.store.book[0:2].title", ["A", "B"]),
        ("$.store.book[1:].title", ["B", "C"]),
        ("$.store.book[-1:].title", ["C"]),
        ("$.store.book[::2].title", ["A", "C"]),
        ("$.store.book[0,2].title", ["A", "C"]),
        ("$.store.book[*].missing", []),
    ],
)
def test_indefinite_paths_give_every_value_as_a_list(path: str, expected: list[Any]) -> None:
    assert compile_path(path).find(DOC) == expected


def test_a_union_of_names_gives_a_map_of_those_present() -> None:
    assert compile_path("$.store.bicycle['color','gears','price']").find(DOC) == {"color": "red", "price": 19}


def test_deep_scan_is_in_document_order_and_includes_nested_matches() -> None:
    document = {"a": {"a": 1, "b": [{"a": 2}]}, "c": {"a": 3}}
    assert compile_path("$..a").find(document) == [{"a": 1, "b": [{"a": 2}]}, 1, 2, 3]


@pytest.mark.parametrize("document", [None, "text", 5, [1, 2]])
def test_names_on_what_is_not_an_object_reach_nothing(document: Any) -> None:
    assert compile_path("$.a").find(document) is None
    assert compile_path("$").find(document) == document


def test_strings_are_not_indexed_as_lists() -> None:
    assert compile_path("$[0]").find("abc") is None
    assert compile_path("$[*]").find("abc") == []


@pytest.mark.parametrize(
    ("tail", "expected"),
    [("store.bicycle.color", "red"), ("store.book[1].title", "B"), ("['weird key']", 1), ("$.a.b", None)],
)
def test_body_path_reads_a_mapping_expressions_tail(tail: str, expected: Any) -> None:
    assert body_path(tail).find(DOC) == expected


def test_compiled_paths_are_cached() -> None:
    assert compile_path("$.store.bicycle") is compile_path("$.store.bicycle")


@pytest.mark.parametrize(
    ("path", "position", "problem"),
    [
        ("store.a", 1, "a path starts with '$'"),
        ("$.", 3, "a name is missing after '.'"),
        ("$.a[", 4, "'[' is not closed"),
        ("$.a[x]", 5, "expected an index, a quoted name, '*' or a slice, not 'x'"),
        ("$.a['x]", 5, "the quoted name is not closed"),
        ("$.a['x'", 4, "expected ']'"),
        ("$.a[?(@.b > 1)]", 4, "filter expressions ('[?(...)]') are not supported"),
        ("$.a.length()", 5, "functions such as 'length()' are not supported"),
        ("$a", 2, "unexpected 'a'; expected '.', '..' or '['"),
        ("$..", 4, "'..' must be followed by a name, '*' or '['"),
        ("$[1:2:3:4]", 3, "a slice has at most three parts: '1:2:3:4'"),
    ],
)
def test_what_is_not_understood_is_an_error_with_its_position(path: str, position: int, problem: str) -> None:
    with pytest.raises(JsonPathError) as caught:
        compile_path(path)
    assert caught.value.problem == problem
    assert caught.value.position + 1 == position
    assert str(caught.value) == f"JSONPath {path!r}, at character {position}: {problem}"
