"""The Velocity engine as API Gateway runs it: printing, comparisons, ``$input``, ``$util``, limits, errors.

Recorded cases (reference A.1, A.2) are rendered here with the same template and body and compared with
the exact text AWS answered; tests/test_mapping_templates.py drives the same through the gateway.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from emulator.mapping.variables import UTIL, TemplateInput, TemplateVariables, escape_javascript
from emulator.mapping.vtl import TemplateRenderError, TemplateSyntaxError, compile_template
from emulator.mapping.vtl_dialect import MAX_FOREACH_ITERATIONS, ContextMap, OpaqueMap

NO_PARAMS: dict[str, dict[str, str]] = {"path": {}, "querystring": {}, "header": {}}


def render(
    template: str, body: bytes | str = b"", params: dict[str, dict[str, str]] | None = None, **names: Any
) -> str:
    raw = body.encode() if isinstance(body, str) else body
    given = params or NO_PARAMS
    builders = {
        "input": lambda: TemplateInput(raw, lambda: given),
        "util": lambda: UTIL,
        **{name: (lambda value=value: value) for name, value in names.items()},
    }
    return compile_template(template).render(TemplateVariables(builders))


def echo(json_body: Any) -> str:
    """The body of reference A.1's echo server: the JSON the client sent, under ``json``."""
    return json.dumps({"json": json_body})


PATH = '#set($result = $input.path("$.json"))$result'


@pytest.mark.parametrize(
    ("template", "sent", "expected"),
    [
        (PATH, {"foo": "bar"}, "{foo=bar}"),
        (PATH, [{"foo": "bar"}], '[{"foo":"bar"}]'),
        (PATH, {"foo": [{"nested": "bar"}]}, '{foo=[{"nested":"bar"}]}'),
        (
            PATH,
            {"bigger": "dict", "to": "test", "with": "separators"},
            "{bigger=dict, to=test, with=separators}",
        ),
        (PATH + ".nested", {"nested": {"foo": "bar"}}, "{foo=bar}"),
        (PATH + ".nested", {"nested": [{"foo": "bar"}]}, '[{"foo":"bar"}]'),
        (PATH + "[0]", [{"foo": "bar"}], "{foo=bar}"),
        (PATH + "[0]", [[{"foo": "bar"}]], '[{"foo":"bar"}]'),
        (PATH + ".toString()", {"foo": "bar"}, "{foo=bar}"),
        (PATH + ".toString()", {"list": [{"foo": "bar"}]}, '{list=[{"foo":"bar"}]}'),
    ],
)
def test_a1_input_path_prints_maps_java_style_and_lists_as_json(
    template: str, sent: Any, expected: str
) -> None:
    assert render(template, echo(sent)) == expected


NULLS = (
    '#set($result = $input.path("{path}")){{"body": $result, "nested": $result.nested, "isNull": '
    '#if( $result == $null )"true"#else"false"#end, "isEmptyString": #if( $result == "" )"true"#else"false"#end}}'
)


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("$.nonExisting", b"", '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}'),
        (
            "$.json.listValue",
            echo({"listValue": []}),
            '{"body": [], "nested": , "isNull": "false", "isEmptyString": "false"}',
        ),
        (
            "$.json.listValue",
            echo({"listValue": None}),
            '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}',
        ),
    ],
)
def test_a1_missing_and_null_print_empty_and_equal_null_and_empty(
    path: str, body: str | bytes, expected: str
) -> None:
    assert render(NULLS.format(path=path), body) == expected


RAW = "#set($result = $input.body)$result"
STR = "Action=SendMessage&MessageBody=$input.body"
ATTR = "#set($result = $input.body.testAccess)$result"
URL = "EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess=$util.urlEncode($input.body.testAccess)"


@pytest.mark.parametrize(
    ("template", "body", "expected"),
    [
        (RAW, b"", "{}"),
        (RAW, b'{"some": "value"}', '{"some": "value"}'),
        (RAW, b"some raw data", "some raw data"),
        (STR, b"", "Action=SendMessage&MessageBody={}"),
        (STR, b'{"some": "value"}', 'Action=SendMessage&MessageBody={"some": "value"}'),
        (STR, b"some raw data", "Action=SendMessage&MessageBody=some raw data"),
        (ATTR, b"", ""),
        (ATTR, b'{"some": "value"}', ""),
        (URL, b"", "EncodedBody=%7B%7D&EncodedBodyAccess="),
        (URL, b'{"some": "value"}', "EncodedBody=%7B%22some%22%3A+%22value%22%7D&EncodedBodyAccess="),
        (URL, b"some raw data", "EncodedBody=some+raw+data&EncodedBodyAccess="),
    ],
)
def test_a2_input_body_is_the_raw_text_and_an_empty_body_renders_braces(
    template: str, body: bytes, expected: str
) -> None:
    assert render(template, body) == expected


def test_input_json_is_compact_json_of_the_path() -> None:
    body = '{"a": {"b": [1, "x", {"c": null}]}, "s": "q\\"uote", "t": true}'
    assert render("$input.json('$')", body) == '{"a":{"b":[1,"x",{"c":null}]},"s":"q\\"uote","t":true}'
    assert (
        render("$input.json('$.a.b[1]')|$input.json('$.s')|$input.json('$.t')", body) == '"x"|"q\\"uote"|true'
    )
    assert render("$input.json('$.missing')|$input.json('$..c')", body) == "null|[null]"
    assert render("$input.json('$')", b"") == "{}"


def test_input_path_values_can_be_navigated() -> None:
    body = '{"items": [{"id": 1, "tags": ["a", "b"]}, {"id": 2, "tags": []}]}'
    template = (
        "#set($items = $input.path('$.items'))$items.size():"
        "#foreach($item in $items)$item.id=$item.tags.size()#if($foreach.hasNext),#end#end"
        "|$input.path('$.items[0].tags[1]')|$input.path('$.items[*].id')"
    )
    assert render(template, body) == "2:1=2,2=0|b|[1,2]"


def test_a_body_that_is_not_json_is_the_document_as_text() -> None:
    template = (
        "#foreach($pair in $input.path('$').split('&'))$pair;#end|$input.json('$')|[$input.path('$.a')]"
    )
    assert render(template, b"a=1&b=2") == 'a=1;b=2;|"a=1&b=2"|[]'


def test_input_params_forms() -> None:
    params = {
        "path": {"id": "42"},
        "querystring": {"id": "from-query", "page": "2"},
        "header": {"Accept": "application/json", "X-Tenant": "acme"},
    }
    template = (
        "$input.params('id')|$input.params('page')|$input.params('x-tenant')|[$input.params('nothing')]|"
        "$input.params().path.id|$input.params().querystring.get('page')|$input.params().header.Accept|"
        "#foreach($where in $input.params().keySet())$where=#foreach($name in $input.params().get($where).keySet())"
        "$name#if($foreach.hasNext),#end#end;#end"
    )
    assert render(template, params=params) == (
        "42|2|acme|[]|42|2|application/json|path=id;querystring=id,page;header=Accept,X-Tenant;"
    )


def test_a4_a_path_parameter_is_inserted_raw() -> None:
    params = {"path": {"id": "42"}, "querystring": {}, "header": {}}
    template = '{"statusCode": 200, "id": $input.params().path.id}'
    assert render(template, params=params) == '{"statusCode": 200, "id": 42}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x=a+b", "x%3Da%2Bb"),
        ("a b&c/d?é~*._-", "a+b%26c%2Fd%3F%C3%A9%7E*._-"),
    ],
)
def test_util_url_encode_is_javas_url_encoder(text: str, expected: str) -> None:
    assert render("$util.urlEncode($s)", s=text) == expected
    assert render("$util.urlDecode($util.urlEncode($s))", s=text) == text


def test_util_url_encode_of_null_is_empty() -> None:
    assert render("[$util.urlEncode($nothing)]") == "[]"


def test_util_base64_round_trip_and_parse_json() -> None:
    assert render('$util.base64Encode(\'{"message": "path1"}\')') == "eyJtZXNzYWdlIjogInBhdGgxIn0="
    template = "#set($b = $util.parseJson($util.base64Decode($s)))$b.message|$b"
    assert render(template, s="eyJtZXNzYWdlIjogInBhdGgxIn0=") == "path1|{message=path1}"
    assert render("$util.parseJson('[1, {\"a\": 2}]')") == '[1,{"a":2}]'
    assert render("$util.base64Decode('aGk')") == "hi"


def test_util_base64_decode_of_what_is_not_base64_fails() -> None:
    with pytest.raises(TemplateRenderError, match="is not base64"):
        render("$util.base64Decode('a')")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('It\'s "quoted" \\ here/there', 'It\\\'s \\"quoted\\" \\\\ here\\/there'),
        ("tab\tnew\nline\r\x01", "tab\\tnew\\nline\\r\\u0001"),
        ("café €", "caf\\u00E9 \\u20AC"),
        ("😀", "\\uD83D\\uDE00"),
    ],
)
def test_util_escape_javascript_is_commons_langs(text: str, expected: str) -> None:
    assert escape_javascript(text) == expected
    assert render("$util.escapeJavaScript($s)", s=text) == expected


def test_set_if_elseif_else_and_foreach() -> None:
    template = (
        "#set($n = 3)#foreach($i in [1..$n])#if($i == 1)one#elseif($i == 2)two#{else}many#end"
        "#if($foreach.hasNext) #end#end|$foreach.count"
    )
    assert render(template) == "one two many|"


def test_foreach_over_a_map_walks_its_values() -> None:
    assert render("#foreach($v in $m)$v;#end", m={"a": 1, "b": 2}) == "1;2;"


def test_foreach_stops_after_awss_1000_iterations(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "apig_emu.mapping"):
        out = render("#foreach($i in [1..5000])x#end")
    assert out == "x" * MAX_FOREACH_ITERATIONS
    assert "#foreach($i) stopped after 1000 iterations, as API Gateway limits it" in caplog.text


def test_foreach_of_exactly_1000_runs_them_all_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "apig_emu.mapping"):
        assert render("#foreach($i in [1..1000])#if($foreach.last)$i#end#end") == "1000"
    assert "stopped" not in caplog.text


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$missing|$!missing|${missing}", "||"),
        ("#set($t = true)$t #set($f = false)$f", "true false"),
        ('#set($l = [1, "a", true])$l', "[1, a, true]"),
        ('#set($m = {"k": "v", "n": 1})$m', "{k=v, n=1}"),
        ("#set($d = 1.5)$d #set($e = 100.0)$e", "1.5 100.0"),
        ('#set($n = 5)#if($n == "5")eq#end', "eq"),
        ('#set($n = 5)"Item " + $n = #set($s = "Item " + $n)$s', '"Item " + 5 = Item 5'),
        ("#set($q = 7 / 2)$q #set($r = -7 / 2)$r", "3 -3"),
        (
            '#set($s = "Hello World")$s.length() $s.toLowerCase() $s.contains("World") $s.indexOf("x")',
            "11 hello world true -1",
        ),
        ('#set($s = "a-b-c")$s.replaceAll("(\\w)-", "$1+") $s.split("-").size()', "a+b+c 3"),
    ],
)
def test_velocity_as_aws_prints_and_compares(template: str, expected: str) -> None:
    assert render(template) == expected


def test_map_methods_and_assignment_forms() -> None:
    template = (
        '#set($m = {})#set($key = "a")#set($m[$key] = 1)#set($m.b = 2)$m.put("c", 3)$m.put("a", 9)'
        '|$m|$m.size()|$m.containsKey("b")|$m.keySet()|$m.values()|$m.isEmpty()'
        "|#foreach($e in $m.entrySet())$e.key:$e.value #end"
    )
    assert render(template) == "1|{a=9, b=2, c=3}|3|true|[a, b, c]|[9, 2, 3]|false|a:9 b:2 c:3 "


def test_list_methods() -> None:
    assert render("#set($l = [])$l.add(1)$l.add(2)|$l|$l.size()|$l.get(1)|$l.contains(2)|$l.isEmpty()") == (
        "truetrue|[1, 2]|2|2|true|false"
    )


def test_a3_map_assignments_on_the_context_overrides() -> None:
    override = OpaqueMap(path=OpaqueMap(), header=OpaqueMap(), querystring=OpaqueMap())
    context = ContextMap(requestOverride=override)
    template = (
        '#set($paramName = "foo")#set($context.requestOverride.querystring[$paramName] = "bar")'
        '#set($paramPutName = "putfoo")$context.requestOverride.querystring.put($paramPutName, "putBar")'
        '#set($context["requestOverride"].querystring["nestedfoo"] = "nestedFoo")'
    )
    assert render(template, context=context) == ""
    assert dict(override["querystring"]) == {"foo": "bar", "putfoo": "putBar", "nestedfoo": "nestedFoo"}
    reading = (
        '{"value": "$context.requestOverride.querystring["foo"]", '
        '"value2": "$context.requestOverride.querystring["putfoo"]", '
        '"value3": "$context.requestOverride.querystring["nestedfoo"]"}'
    )
    assert render(reading, context=context) == '{"value": "bar", "value2": "putBar", "value3": "nestedFoo"}'


def test_a9_context_maps_print_empty_and_unlisted_names_resolve() -> None:
    context = ContextMap(identity=OpaqueMap(sourceIp="1.2.3.4"), stage="dev")
    template = (
        "\"$context.get('identity')\"|$context.identity.sourceIp|$context.keySet()|$context.isCanaryRequest|"
        "{#foreach($k in $context.authorizer.keySet())$k#end}|[$stageVariables.noStageVar]"
    )
    assert render(template, context=context, stageVariables={}) == '""|1.2.3.4|[identity, stage]|false|{}|[]'


def test_templates_compile_once_per_text() -> None:
    assert compile_template("$input.body x") is compile_template("$input.body x")


def test_static_templates_never_reach_the_engine() -> None:
    template = compile_template('{"statusCode": 200}')
    assert template.static == '{"statusCode": 200}'
    assert template.render(TemplateVariables({})) == '{"statusCode": 200}'


@pytest.mark.parametrize(
    ("template", "line", "column", "problem"),
    [
        (
            "{\n  #if($a)\n  x\n}",
            4,
            2,
            "if directive: expected #else, #elseif or #end, but the template ends",
        ),
        ("{\n \"a\": $input.json('$'\n}", 2, 22, "parameter list: expected ), before the end of the line"),
        ("#foreach($x $list)#end", 1, 12, "foreach directive: expected in, before '$list)#end'"),
        ("#set($a)", 1, 8, "assignment: expected =, before ')'"),
    ],
)
def test_a_template_that_does_not_parse_names_line_and_column(
    template: str, line: int, column: int, problem: str
) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(template)
    assert (caught.value.line, caught.value.column, caught.value.problem) == (line, column, problem)


def test_a_rendering_error_names_its_line_and_expression() -> None:
    with pytest.raises(TemplateRenderError) as caught:
        render("{\n\n#foreach($x in 5)$x#end}")
    assert caught.value.line == 3
    assert "$x cannot iterate over '5': not a list or map" in str(caught.value)


def test_include_and_parse_are_not_supported() -> None:
    with pytest.raises(TemplateRenderError, match="no loader available"):
        render("#include('other.vm')")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("#set($total = 0)#foreach($i in [1..3])#set($total = $total + $i)#end$total", "6"),
        ("#foreach($a in [1..2])#foreach($b in [1..2])$a$b #end#end", "11 12 21 22 "),
        ("#foreach($i in [1..2])#set($inner = $i)#end$inner", "2"),
        ("#define($greet)hi $input.body#end$greet $greet", "hi {} hi {}"),
        ('#set($input = "mine")$input', "mine"),
    ],
)
def test_scopes_as_velocity_keeps_them(template: str, expected: str) -> None:
    """``#set`` in a loop assigns where the name lives (else at the top), loops nest, a ``#define`` sees
    the template's variables, and a template may shadow a built-in name."""
    assert render(template) == expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # LocalStack's validated airspeed tests, recorded on AWS (localstack/airspeed tests/test_templating.py).
        ("#if ($some_value)hide me#end", "hide me"),
        ("#if ($value) true #else false #end", " true "),
        ("#if(${a.b.c})yes!#end", "yes!"),
        ("#if ( !$value )yes#end", ""),
        ("#if ( not $value )yes#end", ""),
        ("#macro(recur $n)X#end#recur(5)", "#recur(5)"),
        ('#set($dynamicsource = "abc")#evaluate($dynamicsource)', "#evaluate($dynamicsource)"),
        (
            "#set($test_array = ['one', 'two', 'three'])#set($i = 1)#set($test_array[$i] = 'foo')$test_array",
            "[one, foo, three]",
        ),
        ("#set($test_dict = {})#set($key = 'bar')#set($test_dict[$key] = 'foo')$test_dict", "{bar=foo}"),
        (
            '#set($myMap = {})#set($ignore = $myMap.put(\'k\', null))#if("$myMap.k" == "")empty#{else}set#end',
            "empty",
        ),
        ("#set($var = 1)#foreach ($i in [2, 3, 4])$var,#set($var = $i)#end$var", "1,2,3,4"),
        ("#set($i = 1)$i,#foreach ($i in [2, 3, 4])$i,#set($i = $i)#end$i", "1,2,3,4,1"),
        ("#set($a = 100.0 / 50)$a", "2.0"),
        ("#set($value = 3)#set( $modulus = ($value % 2) )$modulus", "1"),
        ("#set($a = 4 > 2 + 5)$a|#set($a = 5 + 4 > 2)$a|#set($a = 2 + 5 * 4)$a", "false|true|22"),
        ("#define ( $hello)hi#end$hello()$hello()", "hi()hi()"),
        (
            'Hello $name|Hello $ |<span style="color: #13ff93">',
            'Hello |Hello $ |<span style="color: #13ff93">',
        ),
    ],
)
def test_what_aws_was_recorded_doing_with_undefined_values_and_unsupported_directives(
    template: str, expected: str
) -> None:
    """An undefined value is true in ``#if`` and ``!$undefined`` false on AWS; macros and ``#evaluate`` print
    as written; bracket assignments and loop scopes as Velocity has them."""
    assert render(template) == expected
