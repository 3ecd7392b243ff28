"""The compiled fast path renders exactly as airspeed-ext with our dialect: same text, same errors.

Every template the suite and the examples use, the benchmark's two, and a generated corpus of
expressions and directives are rendered over varied variables twice: through ``vtl.Template`` as the
gateway renders them (``vtl_compiled``), and through airspeed's own tree walk. Any difference, in the
text or in the error (line and reason), fails. Object addresses in printed Python objects are the only
thing normalised: two renders never share them.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.mapping.java_values import ContextMap, JsonList, OpaqueMap
from emulator.mapping.variables import UTIL, TemplateInput, TemplateVariables
from emulator.mapping.vtl import Template, TemplateRenderError, TemplateSyntaxError
from emulator.velocity import static_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
#: Where Python's recursion limit strikes (a map put into itself, then printed) depends on the stack.
_RECURSION = re.compile(r"RecursionError: .*")


def _strings_in_python(path: Path) -> Iterator[str]:
    """String constants of a test module, and the ``+`` of module-level string constants (``PATH + "[0]"``)."""
    tree = ast.parse(path.read_text())
    names: dict[str, str] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            and isinstance(node.targets[0], ast.Name)
        ):
            names[node.targets[0].id] = node.value.value

    def value(node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = value(node.left), value(node.right)
            return left + right if left is not None and right is not None else None
        return None

    for node in ast.walk(tree):
        found = value(node)
        if found is not None:
            yield found


def _strings_in_data(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in_data(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings_in_data(item)


def _suite_templates() -> list[str]:
    texts: set[str] = {bench.MAPPED_REQUEST_TEMPLATE, bench.MAPPED_RESPONSE_TEMPLATE}
    for name in ("test_vtl.py", "test_mapping_templates.py", "test_example_mapping.py"):
        texts.update(_strings_in_python(ROOT / "tests" / name))
    for folder in ("config", "handlers_example"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".yaml", ".yml", ".json"):
                texts.update(_strings_in_data(yaml.safe_load(path.read_text())))
            elif path.suffix == ".vtl":
                texts.add(path.read_text())
    return sorted(text for text in texts if _parses(text))


def _parses(text: str) -> bool:
    if static_text(text) is not None:
        return False
    try:
        Template(text)
    except (TemplateSyntaxError, RecursionError):
        return False
    return True


#: Values a template reads: every kind of Java-like value, and the edges (null, empty, zero, unicode).
EXPRESSIONS = [
    "$s",
    "$n",
    "$f",
    "$big",
    "$t",
    "$nil",
    "$missing",
    "$m",
    "$m.a",
    "$m.nested.deep",
    "$m.list",
    "$m.list[1]",
    "$m.get('a')",
    "$m.keySet()",
    "$m.values()",
    "$m.entrySet()",
    "$m.containsKey('a')",
    "$m.size()",
    "$m.isEmpty()",
    "$m['a']",
    "$m.missing.deeper",
    "$items",
    "$items[0]",
    "$items[-1]",
    "$items.size()",
    "$items.get(1)",
    "$items.get(9)",
    "$items.contains(2)",
    "$items.indexOf(3)",
    "$items[0].toString()",
    "$json",
    "$json[1]",
    "$s.length()",
    "$s.toUpperCase()",
    "$s.substring(1, 3)",
    "$s.substring('x')",
    "$s.charAt(99)",
    "$s.replaceAll('l+', 'L$0')",
    "$s.split('l')",
    "$s.matches('h.*')",
    "$s.contains($n)",
    "$s.equalsIgnoreCase('HELLO')",
    "$s.indexOf('l')",
    "$s.trim().isEmpty()",
    "$s.nothing()",
    "$n + 1",
    "$n - 10",
    "$n * $f",
    "$n / 2",
    "-7 / 2",
    "$n / 0",
    "$n % 3",
    "$f % 0",
    "$s + $n",
    "$n + $s",
    "$n + $nil",
    "$n == 5",
    "$n == '5'",
    "$nil == ''",
    "$missing == $nil",
    "$s != 'hello'",
    "$n > 3 && $s == 'hello'",
    "$n < 3 || $t",
    "$n > 1 and $n lt 9 or $nil",
    "1 + 2 * 3 - 4 / 2",
    "2 + 5 * 4 > 2 + $n",
    "$n >= 5 == $t",
    "!$t",
    "!$missing",
    "!$s",
    "($n + 1) * 2",
    "[1, 2, $n]",
    "[]",
    "[1..4]",
    "[$n..1]",
    "{'k': $n, 'j': [$s]}",
    "{}",
    "'single $n'",
    '"double $n and ${s}"',
    '"nested $m.a.length() $items[9]"',
    '"broken $s.charAt(99)"',
    "true",
    "false",
    "null",
    "1.5e3",
    "0.1",
    "-3",
    "$input.body",
    "$input.json('$')",
    "$input.json('$.a')",
    "$input.path('$')",
    "$input.path('$.list')",
    "$input.path('$.list').size()",
    "$input.path('$..deep')",
    "$input.params()",
    "$input.params('id')",
    "$input.params().header",
    "$input.params().querystring.q",
    "$input.path",
    "$util.escapeJavaScript($s)",
    "$util.parseJson('[1, {\"a\": 2}]')",
    "$util.parseJson('{nope')",
    "$util.urlEncode('a b&c')",
    "$util.urlDecode('a+b%26')",
    "$util.base64Encode($s)",
    "$util.base64Decode('aGk=')",
    "$util.base64Decode('%%%')",
    "$context.stage",
    "$context.identity",
    "$context.identity.sourceIp",
    "$context.authorizer",
    "$context.requestOverride.header",
    "$context.keySet()",
    "$stageVariables.version",
    "$foreach",
    "$velocityCount",
]

FORMS = [
    "{e}",
    "${{{r}}}",
    "$!{{{r}}}",
    "${{missing|{e}}}",
    "$!{{missing|{e}}}.{r}",
    "#set($r = {e})$r|$!r|${{r}}",
    "#if({e})yes#elseif($n)n#{{else}}no#end",
    "#foreach($i in {e})$i:$foreach.index:$velocityCount:$foreach.hasNext,#end",
    "#set($total = 0)#foreach($i in [1, 2])#set($total = $total + $i)#set($last = {e})#end$total $last",
    "#set($old = $m.put('a', {e}))$old $m.a $m",
    "#set($m['k'] = {e})#set($m.nested.x = {e})$m",
    "#set($list = [])#set($ok = $list.add({e}))$list $ok",
    "before\n#set($x = {e})\n#if($x == $nil)\nnull\n#end\nafter $x",
]


def _variables(body: bytes) -> TemplateVariables:
    context = ContextMap(
        {
            "stage": "Prod",
            "requestId": "r-1",
            "identity": OpaqueMap({"sourceIp": "10.0.0.1"}),
            "requestOverride": OpaqueMap({"header": {}, "path": {}, "querystring": {}}),
        }
    )
    params = {"path": {"id": "7"}, "querystring": {"q": "tea"}, "header": {"Accept": "*/*"}}
    fixed: dict[str, Any] = {
        "input": lambda: TemplateInput(body, lambda: params),
        "util": lambda: UTIL,
        "context": lambda: context,
        "stageVariables": lambda: {"version": "v2"},
        "s": lambda: "hello é",
        "n": lambda: 5,
        "f": lambda: 2.5,
        "big": lambda: 1e20,
        "t": lambda: True,
        "nil": lambda: None,
        "m": lambda: {"a": "x", "nested": {"deep": 1}, "list": JsonList([1, "two"])},
        "items": lambda: [1, 2, 3],
        "json": lambda: JsonList([{"a": 1}, [2]]),
    }
    return TemplateVariables(fixed)


BODIES = [
    b'{"a": "b", "list": [1, {"deep": true}], "deep": null, "n": 1.5}',
    b"[1, 2]",
    b"",
    b"not json & x=1",
]


def _outcome(template: Template, body: bytes) -> str:
    try:
        return "text: " + _ADDRESS.sub(" at 0x", template.render(_variables(body)))
    except TemplateRenderError as error:
        return f"error: line {error.line}: {_RECURSION.sub('RecursionError', _ADDRESS.sub(' at 0x', error.problem))}"


def _airspeed(text: str) -> Template:
    """The same template rendered by airspeed's own tree walk."""
    slow = Template(text)
    slow._fast = None
    return slow


def _differences(texts: list[str]) -> list[str]:
    differences = []
    for text in texts:
        fast = Template(text)
        slow = _airspeed(text)
        for body in BODIES:
            expected = _outcome(slow, body)
            got = _outcome(fast, body)
            if got != expected:
                differences.append(f"{text!r} over {body!r}:\n  airspeed: {expected!r}\n  compiled: {got!r}")
    return differences


def test_the_suites_and_examples_templates_render_identically() -> None:
    texts = _suite_templates()
    assert len(texts) > 100, "the collection of the suite's templates found too few"
    compiled = {text for text in texts if Template(text)._fast is not None}
    assert set(texts) - compiled == {text for text in texts if re.search("#(macro|define|stop)", text, re.I)}
    assert _differences(texts) == []


@pytest.mark.parametrize("form", FORMS)
def test_generated_expressions_and_directives_render_identically(form: str) -> None:
    texts = [
        text
        for text in (form.format(e=expression, r=expression[1:]) for expression in EXPRESSIONS)
        if _parses(text)
    ]
    assert len(texts) > len(EXPRESSIONS) // 3
    assert _differences(texts) == []


def test_the_corpus_reaches_errors_and_every_directive() -> None:
    """The comparison above is only worth the cases it covers: failing renders and each statement kind."""
    outcomes = [
        _outcome(_airspeed(form.format(e=expression, r=expression[1:])), body)
        for form, expression, body in itertools.product(FORMS[:1] + FORMS[5:8], EXPRESSIONS, BODIES[:1])
        if _parses(form.format(e=expression, r=expression[1:]))
    ]
    assert sum(outcome.startswith("error: ") for outcome in outcomes) >= 10
    assert sum(outcome.startswith("text: ") for outcome in outcomes) >= 100


@pytest.mark.parametrize(
    "text",
    [
        "#set($a = 1)#foreach($i in [1..3])#set($a = $a + $i)#end$a",
        "#foreach($k in $m)$k#end #foreach($i in [1..1001])#end$foreach",
        "#foreach($x in $s)$x#end",
        "#macro(hello $who)hi $who#end#hello('you') #evaluate('$n') #return($m)",
        "#hello('you') #evaluate('$n') #return($m) #include('x.vtl')",
        "#stop after",
        "#define($d)defined $n#end$d",
        "#include('x.vtl')",
        "#if($n == 5)five#{end} #[[raw $n]]# color: #333 \\$n ## comment\n#* block *#end",
        "$items[$n]$m[$s] ${items[0]} $items.get($n)",
        "$items.get(0)[0]",
        "#set($items[0] = 'z')#set($missing.x = 1)",
        "#set($deep = {'a': {'b': [1, 2]}})$deep.a.b[1] $deep.a.b.get(0)",
        "#set($s = $s + '!')#foreach($i in [1])#set($s = $s + $i)#end$s",
        "#if($n > 1 && $n < 9 || $t && !$nil)a#end#if($s.length() > 2 + 3 * 2)b#{else}c#end",
        "line1\nline2 $s.substring(99)",
        "#set($r = $util.parseJson($input.json('$')))$r.list $r.list.get(1).deep",
        "#set($context.responseOverride.status = 404)$context.responseOverride",
    ],
)
def test_edges_render_identically(text: str) -> None:
    assert _differences([text]) == []


def test_a_template_using_stop_or_definitions_is_left_to_airspeed() -> None:
    assert Template("#stop after $n")._fast is None
    assert Template("#define($d)x#end$d")._fast is None
    assert Template("#macro(m)x#end#m()")._fast is None
    assert Template("$n")._fast is not None


def test_json_bodies_and_outputs_are_what_the_bench_expects() -> None:
    """A plain check that the fast path is the path used: the bench's request template, rendered."""
    text = Template(bench.MAPPED_REQUEST_TEMPLATE).render(_variables(b'{"item": "t\\"ea", "quantity": 2}'))
    document = json.loads(text)
    assert document["item"] == 't"ea'
    assert document["order"] == {"item": 't"ea', "quantity": 2}
    assert document["stage"] == "Prod"
