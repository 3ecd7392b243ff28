"""Parsing a definition file into YAML nodes, and saying where a syntax error is and how to fix it.

PyYAML's messages describe its parser's state ("expected ',' or '}', but got '{'"); newcomers make a
handful of mistakes over and over, each of which leaves a recognisable trace at the error's mark. For
those the error gets a hint that names the fix; for anything else it gets none rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml
from yaml.nodes import Node

from emulator.config.bounded_yaml import BoundedLoader, LimitExceeded, limit_error
from emulator.config.errors import HINT, ConfigError
from emulator.model import Location

_LINE_BREAK = re.compile(r"\r\n|[\n\r\x85\u2028\u2029]")
_CLOSES_FLOW = re.compile(r"expected ',' or '[}\]]', but got '\{'")
_CANNOT_START = re.compile(r"found character '(.)' that cannot start any token")
#: ``key:value``: a line YAML reads as one plain text because its colon has no space after it.
_NO_SPACE_AFTER_COLON = re.compile(r"([^\s:#'\"{\[]+):(\S.*)")
_PLAIN_WORDS = re.compile(r"([A-Za-z_][\w.-]*)(?:\s+(\S.*))?")


def compose(data: bytes | str, source: str) -> tuple[Node | None, ConfigError | None]:
    """The document's root node (``None`` for a file of comments only), or the syntax error.

    Composed within ``bounded_yaml``'s limits, so no walk of the nodes can blow up.
    """
    try:
        return yaml.compose(data, Loader=BoundedLoader), None
    except LimitExceeded as exc:
        return None, limit_error(exc, source)
    except yaml.MarkedYAMLError as exc:
        return None, syntax_error(exc, _lines(data), source)
    except yaml.reader.ReaderError as exc:
        return None, _reader_error(exc, data, source)
    except yaml.YAMLError as exc:
        return None, ConfigError(Location(source), f"invalid YAML: {exc}")


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    # The encodings YAML allows; PyYAML has already refused anything else by the time this is read.
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    return data.decode(encoding, "replace")


def _lines(data: bytes | str) -> list[str]:
    return _LINE_BREAK.split(_text(data))


def _reader_error(exc: yaml.reader.ReaderError, data: bytes | str, source: str) -> ConfigError:
    if exc.encoding != "unicode":  # PyYAML's word for decoded text: this is a byte it could not decode
        line = None
        if isinstance(data, bytes) and exc.encoding == "utf-8":
            line = data[: exc.position].count(b"\n") + 1
        return ConfigError(
            Location(source, line=line),
            f"invalid YAML: byte 0x{exc.character:02x} is not {exc.encoding.upper()} text ({exc.reason}); "
            "save the file as UTF-8",
        )
    before = _LINE_BREAK.split(_text(data)[: exc.position])
    return ConfigError(
        Location(source, line=len(before), column=len(before[-1]) + 1),
        f"invalid YAML: the character #x{exc.character:04x} is not allowed "
        "(YAML files hold printable characters, tabs and line breaks only)",
    )


def syntax_error(exc: yaml.MarkedYAMLError, lines: list[str], source: str) -> ConfigError:
    """``file:line:column: invalid YAML: …`` at PyYAML's mark, with a hint when the mistake is a known one."""
    mark = exc.problem_mark or exc.context_mark
    location = (
        Location(source) if mark is None else Location(source, line=mark.line + 1, column=mark.column + 1)
    )
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        where = exc.context_mark
        message += f" ({exc.context}" + (
            f" from line {where.line + 1}, column {where.column + 1})" if where else ")"
        )
    for rule in _RULES:
        hint = rule(exc, lines)
        if hint is not None:
            return ConfigError(location, message, (HINT + hint,))
    return ConfigError(location, message)


# The rules, each for one mistake: a hint, or None when the error is not that mistake.


def _brace_in_flow_value(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """``{api: shop, resource: /users/{id}}``: a '{' inside an unquoted value of a ``{…}`` or ``[…]``."""
    mark = exc.problem_mark
    if mark is None or not _CLOSES_FLOW.fullmatch(exc.problem or ""):
        return None
    line = _line(lines, mark.line)
    if mark.column == 0 or line[mark.column - 1] in " \t,[{:":
        return None
    start = max(line.rfind(separator, 0, mark.column) for separator in (",", "[", "{", ": "))
    start += 2 if line.startswith(": ", start) else 1
    value = line[start : _flow_value_end(line, mark.column)].strip()
    key = _key_before(line, start)
    example = f"{key}: {_quote(value)}" if key else _quote(value)
    return (
        "inside { } or [ ], an unquoted value cannot contain braces: YAML reads '{' as the start "
        f"of a mapping; quote paths with braces, as in {example}"
    )


def _tab(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    if "'\\t'" not in (exc.problem or "") and "tab character" not in (exc.problem or ""):
        return None
    return "YAML allows no tab here: indent with spaces (and quote a value that holds a tab)"


def _alias(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """``allow_origin: *``: a value starting with '*' (or '&') is an alias (an anchor) to YAML."""
    undefined = (exc.problem or "").startswith("found undefined alias")
    if exc.context in ("while scanning an alias", "while scanning an anchor"):
        mark = exc.context_mark
    elif undefined:
        mark = exc.problem_mark
    else:
        return None
    if mark is None:
        return None
    line = _line(lines, mark.line)
    character = line[mark.column : mark.column + 1]
    what = (
        f"a value that starts with '{character}' is {'an alias' if character == '*' else 'an anchor'} to YAML"
    )
    if undefined and (name := re.search(r"'(.*)'", exc.problem or "")):
        # A misspelt alias or text meant as text: the file cannot tell which, so the hint says both.
        what += f", and no anchor '&{name.group(1)}' is defined"
    return f"{what}; for the text, quote it, as in {_quoted_from(line, mark.column)}"


def _reserved_start(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """``body_file: @orders.json``: '@' and '`' are reserved, '%' starts a directive."""
    match = _CANNOT_START.fullmatch(exc.problem or "")
    mark = exc.problem_mark
    if match is None or mark is None or match.group(1) not in "@`%":
        return None
    line = _line(lines, mark.line)
    return (
        f"YAML does not let an unquoted value start with '{match.group(1)}': quote it, as in "
        f"{_quoted_from(line, mark.column)}"
    )


def _text_after_closing(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """``x: "a" b`` or ``resource: {id}/orders``: a quoted or bracketed value ends where it closes."""
    mark = exc.problem_mark
    if mark is None or exc.problem not in (
        "expected <block end>, but found '<scalar>'",
        "expected <block end>, but found '<block mapping start>'",
    ):
        return None
    line = _line(lines, mark.line)
    before = line[: mark.column].rstrip()
    if not before or before[-1] not in "\"'}]":
        return None
    colon = before.find(": ")
    if colon < 0:
        return None
    start = colon + 2
    key = _key_before(line, start)
    value = _without_comment(line[start:]).strip()
    opener = {'"': "a quote", "'": "a quote", "}": "'{'", "]": "'['"}[before[-1]]
    return (
        f"a value that starts with {opener} ends where it closes; to keep all of it, quote the "
        f"whole value, as in {key}: {_quote(value)}"
    )


def _mapping_value_not_allowed(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """'mapping values are not allowed here': a second ': ' on the line, or the line before is not a key."""
    mark = exc.problem_mark
    if mark is None or exc.problem != "mapping values are not allowed here":
        return None
    line = _line(lines, mark.line)
    content = line.lstrip(" ")
    indent = len(line) - len(content)
    item = content.removeprefix("- ")
    first = item.find(": ")
    if first >= 0 and len(line) - len(item) + first < mark.column:
        start = line.find(": ") + 2
        example = f"{_key_before(line, start)}: {_quote(_without_comment(line[start:]).strip())}"
        return (
            f"a value with a colon and a space (or a colon at its end) in it must be quoted, as in {example}"
        )
    previous = _previous_content_line(lines, mark.line)
    if previous is None:
        return None
    number, above = previous
    above_content = above.lstrip(" ")
    above_indent = len(above) - len(above_content)
    above_content = _without_comment(above_content).rstrip()
    if above_indent == indent and ": " not in above_content and not above_content.endswith(":"):
        if match := _NO_SPACE_AFTER_COLON.fullmatch(above_content):
            return (
                f"line {number} ({above_content!r}) has no space after its colon, so YAML reads it as "
                f"text, not a key; write '{match.group(1)}: {match.group(2)}'"
            )
        if match := _PLAIN_WORDS.fullmatch(above_content):
            fixed = f"{match.group(1)}: {match.group(2)}" if match.group(2) else f"{match.group(1)}:"
            return (
                f"line {number} ({above_content!r}) has no colon, so YAML reads it and this line as one "
                f"text; if it is a key, add the colon: '{fixed}'"
            )
    if indent > above_indent and ": " in above_content:
        return (
            f"this line is indented deeper than line {number}, whose key already has a value; "
            "keys of one mapping line up"
        )
    return None


def _neither_key_nor_item(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """A line of words inside a mapping or list: no colon makes it a key, no dash a list item."""
    mark = exc.context_mark
    if (
        mark is None
        or exc.context != "while scanning a simple key"
        or exc.problem != "could not find expected ':'"
    ):
        return None
    content = _without_comment(_line(lines, mark.line)[mark.column :]).strip()
    if ":" in content:
        return None
    return (
        f"line {mark.line + 1} ({content!r}) is neither a key (it has no colon) nor a list item "
        "(it has no '- '); add the one it should be"
    )


def _list_item_among_keys(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    if exc.problem != "expected <block end>, but found '-'" or exc.context != "while parsing a block mapping":
        return None
    return (
        "a list item ('- ') stands among the keys of a mapping; a list is the value of one key, "
        "written on the lines after it (e.g. 'triggers:' with nothing after its colon)"
    )


def _misaligned(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """A line indented to match none of the lines above it: no mapping or list it could belong to."""
    mark = exc.problem_mark
    if mark is None or exc.problem not in (
        "expected <block end>, but found '<block mapping start>'",
        "expected <block end>, but found '<block sequence start>'",
    ):
        return None
    above: set[int] = set()
    for line in lines[: mark.line]:
        content = _without_comment(line).strip()
        if not content:
            continue
        column = len(line) - len(line.lstrip(" "))
        above.add(column)
        while line.startswith("- ", column):
            column = len(line) - len(line[column + 2 :].lstrip(" "))
            above.add(column)
    if mark.column in above:
        return None
    return (
        f"line {mark.line + 1} is indented {mark.column} spaces, which lines up with no line above it; "
        "indent it like the keys (or list items) it belongs with"
    )


def _never_closed(exc: yaml.MarkedYAMLError, lines: list[str]) -> str | None:
    """An unclosed '{', '[' or quote: the parser reads on to the end of the file, or into the next key."""
    opened, mark = exc.context_mark, exc.problem_mark
    problem = exc.problem or ""
    if opened is None or mark is None:
        return None
    line = _line(lines, opened.line)
    character = line[opened.column : opened.column + 1]
    if "<stream end>" in problem or problem == "found unexpected end of stream":
        if character in ("{", "[", '"', "'"):
            return f"the {character!r} at line {opened.line + 1}, column {opened.column + 1} is never closed"
        return None
    closer = {"{": "}", "[": "]"}.get(character)
    rest = line[opened.column :]
    if closer and mark.line > opened.line and rest.count(character) > rest.count(closer):
        return (
            f"the {character!r} at line {opened.line + 1}, column {opened.column + 1} has no {closer!r} "
            f"on its line, so YAML read on into line {mark.line + 1}"
        )
    return None


_RULES: tuple[Callable[[yaml.MarkedYAMLError, list[str]], str | None], ...] = (
    _brace_in_flow_value,
    _tab,
    _alias,
    _reserved_start,
    _text_after_closing,
    _mapping_value_not_allowed,
    _neither_key_nor_item,
    _list_item_among_keys,
    _misaligned,
    _never_closed,
)


# Reading around the mark


def _line(lines: list[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def _previous_content_line(lines: list[str], index: int) -> tuple[int, str] | None:
    """The nearest line above that holds something besides a comment, with its 1-based number."""
    for number in range(index, 0, -1):
        line = lines[number - 1]
        if _without_comment(line).strip():
            return number, line
    return None


def _without_comment(text: str) -> str:
    """The text before a ``#`` comment, which YAML starts only at a line's start or after a space."""
    match = re.search(r"(?:^|\s)#", text)
    return text if match is None else text[: match.start()]


def _key_before(line: str, start: int) -> str:
    """The key whose value starts at ``start`` (just after ``key: ``), or "" if there is none."""
    if not line.startswith(": ", start - 2):
        return ""
    head = line[: start - 2]
    cut = max(head.rfind(character) for character in ",[{ ")
    return head[cut + 1 :]


def _flow_value_end(line: str, column: int) -> int:
    """Where a plain value inside ``{…}``/``[…]`` would end if its braces were quoted: at ',', '}' or ']'."""
    depth = 0
    for index in range(column, len(line)):
        character = line[index]
        if character == "{":
            depth += 1
        elif character == "}" and depth:
            depth -= 1
        elif character in ",}]" and not depth:
            return index
    return len(line)


def _quoted_from(line: str, column: int) -> str:
    """The value starting at ``column``, quoted, after its key: the example a hint gives."""
    head = line[:column]
    inside_flow = any(head.count(opener) > head.count(closer) for opener, closer in ("{}", "[]"))
    end = _flow_value_end(line, column) if inside_flow else len(line)
    value = _without_comment(line[column:end]).strip()
    key = _key_before(line, column)
    return f"{key}: {_quote(value)}" if key else _quote(value)


def _quote(value: str) -> str:
    if '"' in value or "\\" in value:
        return "'" + value.replace("'", "''") + "'"
    return f'"{value}"'
