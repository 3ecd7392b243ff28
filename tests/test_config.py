"""The YAML trigger-definition loader: the model it builds and the errors it reports."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from emulator.config import DEFAULT_CONFIG_PATH, ConfigError, ConfigErrors, load_definitions
from emulator.ids import resource_id, stable_id
from emulator.model import (
    AWS,
    AWS_PROXY,
    MOCK,
    Definitions,
    Location,
)

FULL = """\
apis:
  shop:
    binary_media_types: [image/png, "image/*", "*/*"]
    stages:
      Prod:
        variables: {table: items-prod, limit: 10, ratio: 0.5, debug: yes}
      Beta:
  admin:
    id: blablablaa
functions:
  smart:
    handler: handlers_example.smart.handler
    timeout: 10
    memory: 512
    environment: {LOG_LEVEL: debug, RETRIES: 3, VERBOSE: false}
    triggers:
      - api: shop
        resource: /smartpath
        method: post
        proxy: true
        timeout_ms: 5000
      - api: shop
        resource: /items/{order-id}/reviews
        method: GET
        cors: true
      - api: shop
        resource: /items/{order-id}/reviews
        method: ANY
        stage: dev
        cors:
          allow_origin: https://example.com
          allow_headers: "Content-Type, X-Custom"
          allow_methods: [get, post]
          expose_headers: [X-Total]
          max_age: 600
          allow_credentials: true
      - api: admin
        resource: /
        method: GET
        cors: false
  plain:
    handler: app.handler
    triggers:
      - api: shop
        resource: /files/{proxy+}
        method: GET
"""


def write(directory: Path, text: str, name: str = "apig.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def line_of(path: Path, marker: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``marker``, so tests survive edits."""
    lines = [number for number, line in enumerate(path.read_text().splitlines(), 1) if marker in line]
    return lines[occurrence - 1]


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path)
    return [str(error) for error in info.value.errors]


def only_error(path: Path) -> str:
    errors = errors_of(path)
    assert len(errors) == 1, errors
    return errors[0]


def with_function(trigger_lines: str, extra_apis: str = "") -> str:
    """A valid config around one function's triggers, for tests of a single trigger rule."""
    return (
        "apis:\n  shop:\n"
        + extra_apis
        + "functions:\n  smart:\n    handler: app.handler\n    triggers:\n"
        + textwrap.indent(textwrap.dedent(trigger_lines), "      ")
    )


# The model


@pytest.fixture
def full(tmp_path: Path) -> tuple[Path, Definitions]:
    path = write(tmp_path, FULL)
    return path, load_definitions(path, code_dir=tmp_path / "src")


def test_full_config_builds_apis_with_ids_and_settings(
    full: tuple[Path, Definitions], tmp_path: Path
) -> None:
    path, definitions = full
    assert list(definitions.apis) == ["shop", "admin"]
    shop, admin = definitions.apis["shop"], definitions.apis["admin"]
    assert shop.id == stable_id("shop")
    assert admin.id == "blablablaa"
    assert shop.binary_media_types == ("image/png", "image/*", "*/*")
    assert shop.location == Location(str(path), "apis.shop", 2)
    assert definitions.sources == (path,)


def test_resource_tree_has_implicit_parents_and_stable_ids(full: tuple[Path, Definitions]) -> None:
    _, definitions = full
    shop = definitions.apis["shop"]
    assert list(shop.resources) == [
        "/",
        "/files",
        "/files/{proxy+}",
        "/items",
        "/items/{order-id}",
        "/items/{order-id}/reviews",
        "/smartpath",
    ]
    for path, resource in shop.resources.items():
        assert resource.path == path
        assert resource.id == resource_id(shop.id, path)
    assert shop.resources["/items"].methods == {}
    # Enabling CORS added the preflight, as the console does.
    assert list(shop.resources["/items/{order-id}/reviews"].methods) == ["GET", "ANY", "OPTIONS"]
    assert list(definitions.apis["admin"].resources) == ["/"]


def test_resource_ids_are_shaped_as_recorded(full: tuple[Path, Definitions]) -> None:
    """Reference 1.8: a child resource's id has 6 characters (``kc3yry``), the root's 10."""
    _, definitions = full
    for resource in definitions.apis["shop"].resources.values():
        assert re.fullmatch(r"[a-z0-9]{10}" if resource.path == "/" else r"[a-z0-9]{6}", resource.id)


def test_methods_carry_integration_and_location(full: tuple[Path, Definitions]) -> None:
    path, definitions = full
    resources = definitions.apis["shop"].resources
    post = resources["/smartpath"].methods["POST"]
    assert post.http_method == "POST"
    assert post.is_proxy
    assert (post.integration.type, post.integration.function, post.integration.timeout_ms) == (
        AWS_PROXY,
        "smart",
        5000,
    )
    assert post.integration.uri == (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:smart/invocations"
    )
    assert post.integration.http_method == "POST"
    assert (post.integration.responses, post.method_responses) == ((), {})
    assert post.location == Location(
        str(path), "functions.smart.triggers[0]", line_of(path, "/smartpath") - 1
    )
    get = resources["/items/{order-id}/reviews"].methods["GET"]
    assert get.integration.type == AWS
    assert get.integration.timeout_ms == 29000
    assert resources["/files/{proxy+}"].methods["GET"].integration.function == "plain"


def test_cors_compiles_into_what_the_console_stores(full: tuple[Path, Definitions]) -> None:
    """Enable CORS: the origin mapped onto each non-proxy method's 200, and an OPTIONS MOCK (reference 6)."""
    _, definitions = full
    reviews = definitions.apis["shop"].resources["/items/{order-id}/reviews"].methods
    header = "method.response.header."
    (get_200,) = reviews["GET"].integration.responses
    assert (get_200.status, get_200.selection_pattern) == ("200", None)
    assert get_200.response_parameters == {header + "Access-Control-Allow-Origin": "'*'"}
    assert reviews["GET"].method_responses["200"].response_parameters == {
        header + "Access-Control-Allow-Origin": False
    }
    (any_200,) = reviews["ANY"].integration.responses
    assert any_200.response_parameters == {
        header + "Access-Control-Allow-Origin": "'https://example.com'",
        header + "Access-Control-Expose-Headers": "'X-Total'",
        header + "Access-Control-Allow-Credentials": "'true'",
    }
    preflight = reviews["OPTIONS"]
    assert preflight.integration.type == MOCK
    assert preflight.integration.request_templates == {"application/json": '{"statusCode": 200}'}
    (options_200,) = preflight.integration.responses
    assert options_200.response_parameters == {
        header
        + "Access-Control-Allow-Headers": "'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token'",
        header + "Access-Control-Allow-Methods": "'GET,DELETE,HEAD,PATCH,POST,PUT,OPTIONS'",
        header + "Access-Control-Allow-Origin": "'*'",
    }
    assert options_200.response_templates == {"application/json": ""}
    # cors: false asks for nothing.
    assert list(definitions.apis["admin"].resources["/"].methods) == ["GET"]
    assert (
        definitions.apis["admin"].resources["/"].methods["GET"].integration.responses[0].response_parameters
        == {}
    )


def test_stages_include_listed_and_triggered_ones(full: tuple[Path, Definitions]) -> None:
    _, definitions = full
    shop = definitions.apis["shop"]
    assert set(shop.stages) == {"Prod", "Beta", "dev"}
    assert {stage.deployment_id for stage in shop.stages.values()} == {
        stable_id(shop.id, "deployment", length=6)
    }
    assert shop.stages["Prod"].variables == {
        "table": "items-prod",
        "limit": "10",
        "ratio": "0.5",
        "debug": "true",
    }
    assert shop.stages["Beta"].variables == {}
    assert shop.stages["dev"].name == "dev"
    # The default stage of a trigger that names none.
    assert list(definitions.apis["admin"].stages) == ["Prod"]


def test_functions_carry_settings_and_code_dir(full: tuple[Path, Definitions], tmp_path: Path) -> None:
    path, definitions = full
    smart = definitions.functions["smart"]
    assert smart.handler == "handlers_example.smart.handler"
    assert (smart.module_name, smart.function_attr) == ("handlers_example.smart", "handler")
    assert (smart.timeout, smart.memory) == (10.0, 512)
    assert smart.environment == {"LOG_LEVEL": "debug", "RETRIES": "3", "VERBOSE": "false"}
    assert smart.code_dir == (tmp_path / "src").resolve()
    assert smart.location == Location(str(path), "functions.smart", line_of(path, "smart:"))


def test_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(
        tmp_path,
        """\
        apis:
          shop:
        functions:
          fn:
            handler: app.handler
            triggers:
              - {api: shop, resource: /a, method: GET}
        """,
    )
    definitions = load_definitions(path)
    function = definitions.functions["fn"]
    assert (function.timeout, function.memory, dict(function.environment)) == (3.0, 128, {})
    assert function.code_dir == tmp_path.resolve()
    method = definitions.apis["shop"].resources["/a"].methods["GET"]
    assert method.integration.type == AWS
    assert method.integration.timeout_ms == 29000
    assert method.integration.responses[0].response_parameters == {}
    assert list(definitions.apis["shop"].stages) == ["Prod"]
    assert definitions.apis["shop"].binary_media_types == ()
    assert definitions.apis["shop"].endpoint_type == "EDGE"


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "apis: {}\nfunctions: {}\n", "apis:\nfunctions:\n"])
def test_empty_config_loads(tmp_path: Path, text: str) -> None:
    definitions = load_definitions(write(tmp_path, text))
    assert (definitions.apis, definitions.functions) == ({}, {})


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apis:
          shop:
        functions:
          fn:
            handler: app.handler
            triggers:
              - &base {api: shop, resource: /a, method: GET, timeout_ms: 100}
              - <<: *base
                method: POST
        """,
    )
    methods = load_definitions(path).apis["shop"].resources["/a"].methods
    assert methods["POST"].integration.timeout_ms == 100


def test_default_config_path() -> None:
    assert Path("config/apig.yaml") == DEFAULT_CONFIG_PATH


# Error formatting


def test_config_error_str_names_file_line_and_key_path() -> None:
    error = ConfigError(Location("config/apig.yaml", "functions.smart.triggers[0].method", 14), "bad")
    assert str(error) == "config/apig.yaml:14: functions.smart.triggers[0].method: bad"


def test_config_errors_sorts_by_file_then_line_under_a_heading() -> None:
    errors = ConfigErrors(
        [
            ConfigError(Location("b.yaml", "x", 1), "three"),
            ConfigError(Location("a.yaml", "y", 9), "two"),
            ConfigError(Location("a.yaml", "z", 2), "one"),
        ]
    )
    assert str(errors).splitlines() == [
        "3 errors in the API definitions:",
        "a.yaml:2: z: one",
        "a.yaml:9: y: two",
        "b.yaml:1: x: three",
    ]
    assert str(ConfigErrors([ConfigError(Location("a.yaml"), "only")])).splitlines()[0] == (
        "1 error in the API definitions:"
    )


def test_notes_sit_under_their_error_and_a_repeated_hint_refers_back() -> None:
    hint = "hint: point --code-dir at src"
    errors = ConfigErrors(
        [
            ConfigError(Location("b.yaml", "g.handler", 3), "g fails", (hint,)),
            ConfigError(Location("a.yaml", "f.handler", 7), "f fails", ("Traceback:", hint)),
            ConfigError(Location("a.yaml", "e.handler", 9), "e fails", ("Traceback:", hint)),
        ]
    )
    assert str(errors).splitlines() == [
        "3 errors in the API definitions:",
        "a.yaml:7: f.handler: f fails",
        "    Traceback:",
        "    hint: point --code-dir at src",
        "a.yaml:9: e.handler: e fails",
        "    Traceback:",
        "    hint: as for line 7",
        "b.yaml:3: g.handler: g fails",
        "    hint: as for a.yaml:7",
    ]


# One test per rule


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert only_error(missing) == f"{missing}: no such file or folder"


def test_bad_yaml_syntax_names_the_parser_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "apis:\n  shop:\n    id: [unclosed\nfunctions: {}\n")
    assert only_error(path) == (
        f"{path}:4:10: invalid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence from line 3, column 9)\n"
        "    hint: the '[' at line 3, column 9 has no ']' on its line, so YAML read on into line 4"
    )


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "- apis\n")
    assert only_error(path) == f"{path}:1: expected a mapping, got a list"


def test_unknown_keys_are_named_with_the_allowed_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apis:
          shop:
            stagez: {}
        resources: {}
        """,
    )
    assert errors_of(path) == [
        f"{path}:3: apis.shop.stagez: unknown key 'stagez' (did you mean 'stages'?); "
        "expected one of api_key_source, authorizers, binary_media_types, endpoint_type, gateway_responses, id, "
        "models, openapi, policy, request_validators, stages",
        f"{path}:4: resources: unknown key 'resources'; expected one of api_keys, apis, auth_off, aws, functions, "
        "iam, integrations, mocks, usage_plans, user_pools",
    ]


def test_wrong_types_say_what_was_expected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apis: [shop]
        functions:
          fn:
            handler: 3
            memory: big
            triggers: {api: shop}
        """,
    )
    assert errors_of(path) == [
        f"{path}:1: apis: expected a mapping, got a list",
        f"{path}:4: functions.fn.handler: expected a string, got 3",
        f"{path}:5: functions.fn.memory: expected an integer from 128 to 10240, got 'big'",
        f"{path}:6: functions.fn.triggers: expected a list, got a mapping",
    ]


def test_missing_required_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path, with_function("- api: shop\n  method: GET\n").replace("    handler: app.handler\n", "")
    )
    assert errors_of(path) == [
        f"{path}:4: functions.smart: missing required key 'handler'",
        f"{path}:6: functions.smart.triggers[0]: missing required key 'resource'",
    ]


def test_duplicate_key_in_one_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "apis:\n  shop:\n  shop:\n")
    assert only_error(path) == f"{path}:3: apis.shop: duplicate key 'shop' (first at line 2)"


def test_unsupported_yaml_tag(tmp_path: Path) -> None:
    path = write(tmp_path, "apis:\n  shop:\n    id: !Ref ApiId\n")
    assert only_error(path).startswith(f"{path}:3: apis.shop.id: unsupported YAML tag '!Ref'")


@pytest.mark.parametrize("api_id", ["short", "ABCDEFGHIJ", "blablablaa1"])
def test_api_id_must_be_ten_lowercase_alphanumerics(tmp_path: Path, api_id: str) -> None:
    path = write(tmp_path, f"apis:\n  shop:\n    id: {api_id}\n")
    assert only_error(path) == (
        f"{path}:3: apis.shop.id: invalid api id '{api_id}'; "
        "expected exactly 10 characters from a-z and 0-9, like AWS's ids"
    )


def test_binary_media_types_must_look_like_media_types(tmp_path: Path) -> None:
    path = write(tmp_path, "apis:\n  shop:\n    binary_media_types:\n      - image/png\n      - png\n")
    assert only_error(path).startswith(f"{path}:5: apis.shop.binary_media_types[1]: invalid media type 'png'")


@pytest.mark.parametrize("handler", ["handler", "app.", "my-app.handler", "app.1handler"])
def test_handler_needs_a_module_and_identifiers(tmp_path: Path, handler: str) -> None:
    path = write(tmp_path, f"functions:\n  fn:\n    handler: {handler}\n")
    assert only_error(path).startswith(f"{path}:3: functions.fn.handler: invalid handler '{handler}'")


def test_function_name_follows_lambda_rules(tmp_path: Path) -> None:
    path = write(tmp_path, "functions:\n  my fn:\n    handler: app.handler\n")
    assert only_error(path).startswith(f"{path}:2: functions.my fn: invalid function name 'my fn'")


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("timeout: 0", "expected a number from 1 to 900, got 0"),
        ("timeout: 901", "expected a number from 1 to 900, got 901"),
        ("timeout: true", "expected a number from 1 to 900, got true"),
        ("memory: 64", "expected an integer from 128 to 10240, got 64"),
        ("memory: 256.5", "expected an integer from 128 to 10240, got 256.5"),
    ],
)
def test_timeout_and_memory_ranges(tmp_path: Path, setting: str, expected: str) -> None:
    path = write(tmp_path, f"functions:\n  fn:\n    handler: app.handler\n    {setting}\n")
    key = setting.partition(":")[0]
    assert only_error(path) == f"{path}:4: functions.fn.{key}: {expected}"


def test_environment_names_and_reserved_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        functions:
          fn:
            handler: app.handler
            environment:
              GOOD: 1
              1BAD: x
              AWS_REGION: eu-west-1
              EMPTY:
        """,
    )
    assert errors_of(path) == [
        f"{path}:6: functions.fn.environment.1BAD: invalid environment variable name '1BAD'; "
        "use a letter, then letters, digits and '_'",
        f"{path}:7: functions.fn.environment.AWS_REGION: 'AWS_REGION' is reserved: "
        "Lambda sets it itself and rejects it in a function's environment",
        f"{path}:8: functions.fn.environment.EMPTY: expected a string, number or boolean, got nothing (null)",
    ]


def test_unknown_method(tmp_path: Path) -> None:
    path = write(tmp_path, with_function("- {api: shop, resource: /a, method: FETCH}\n"))
    assert only_error(path) == (
        f"{path}:{line_of(path, 'FETCH')}: functions.smart.triggers[0].method: unknown method 'FETCH'; "
        "expected one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    )


def test_trigger_api_must_be_declared(tmp_path: Path) -> None:
    path = write(tmp_path, with_function("- api: shp\n  resource: /a\n  method: GET\n"))
    assert only_error(path) == (
        f"{path}:{line_of(path, 'api: shp')}: functions.smart.triggers[0].api: "
        "unknown api 'shp' (did you mean 'shop'?); the apis are: shop"
    )


def test_an_unknown_api_is_reported_beside_the_other_errors_of_its_trigger(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apis:
          shop: {}
        functions:
          smart:
            handler: app.handler
            triggers:
              - {api: shp, resource: /a, method: FETCH}
        mocks:
          stub:
            triggers:
              - {api: shoq, resource: b}
        """,
    )
    assert errors_of(path) == [
        f"{path}:7: functions.smart.triggers[0].method: unknown method 'FETCH'; "
        "expected one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT",
        f"{path}:7: functions.smart.triggers[0].api: unknown api 'shp' (did you mean 'shop'?); the apis are: shop",
        f"{path}:11: mocks.stub.triggers[0]: missing required key 'method'",
        f"{path}:11: mocks.stub.triggers[0].resource: invalid resource path 'b'; it must start with '/'",
        f"{path}:11: mocks.stub.triggers[0].api: unknown api 'shoq' (did you mean 'shop'?); the apis are: shop",
    ]


def test_an_api_declared_with_errors_is_not_also_unknown(tmp_path: Path) -> None:
    path = write(
        tmp_path, with_function("- {api: shop, resource: /a, method: GET}\n").replace("shop:\n", "shop: 5\n")
    )
    assert only_error(path) == f"{path}:2: apis.shop: expected a mapping, got 5"


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        ("items", "it must start with '/'"),
        ("/items/", "remove the trailing '/'"),
        ("/items//x", "it has an empty segment ('//')"),
        ("/items/a b", "segment 'a b' is neither a literal"),
        ("/items/x{id}", "segment 'x{id}' is neither a literal"),
        ("/items/{}", "segment '{}' is neither a literal"),
        ("/{proxy+}/x", "the greedy parameter '{proxy+}' must be the last segment"),
        ("/{id}/x/{id}", "the parameter 'id' occurs twice"),
    ],
)
def test_resource_path_rules(tmp_path: Path, resource: str, problem: str) -> None:
    path = write(tmp_path, with_function(f"- api: shop\n  resource: '{resource}'\n  method: GET\n"))
    error = only_error(path)
    prefix = f"{path}:{line_of(path, 'resource:')}: functions.smart.triggers[0].resource: "
    assert error.startswith(f"{prefix}invalid resource path '{resource}'; {problem}")


@pytest.mark.parametrize(
    "resource", ["/", "/{order-id}", "/a-b.c_d~e:f@g!h$i&j'k(l)m*n+o,p;q=r%20s", "/{v.1}/{p+}"]
)
def test_legal_resource_paths(tmp_path: Path, resource: str) -> None:
    path = write(tmp_path, with_function(f'- api: shop\n  resource: "{resource}"\n  method: GET\n'))
    assert resource in load_definitions(path).apis["shop"].resources


@pytest.mark.parametrize("other", ["/items/{itemId}", "/items/{proxy+}"])
def test_a_resource_has_one_variable_child(tmp_path: Path, other: str) -> None:
    triggers = f"""\
    - {{api: shop, resource: "/items/{{id}}/x", method: GET}}
    - {{api: shop, resource: "{other}", method: GET}}
    """
    path = write(tmp_path, with_function(triggers))
    first, second = line_of(path, "/items/{id}/x"), line_of(path, other)
    segment = other.rpartition("/")[2]
    assert only_error(path) == (
        f"{path}:{second}: functions.smart.triggers[1].resource: resource '{other}' on api 'shop' "
        f"clashes with '/items/{{id}}/x' ({path}:{first}): '/items' would have two different "
        f"variable children, '{{id}}' and '{segment}'; a resource may have only one"
    )


def test_literal_and_variable_siblings_are_fine(tmp_path: Path) -> None:
    triggers = """\
    - {api: shop, resource: "/items/{id}", method: GET}
    - {api: shop, resource: /items/new, method: GET}
    """
    path = write(tmp_path, with_function(triggers))
    assert {"/items/{id}", "/items/new"} <= set(load_definitions(path).apis["shop"].resources)


def test_a_method_integrates_with_one_function(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apis:
          shop:
        functions:
          smart:
            handler: app.smart
            triggers:
              - {api: shop, resource: /smartpath, method: POST}
              - {api: shop, resource: /smartpath, method: ANY}
              - {api: shop, resource: /smartpath, method: GET}
          other:
            handler: app.other
            triggers:
              - {api: shop, resource: /smartpath, method: post}
        """,
    )
    first, second = line_of(path, "method: POST"), line_of(path, "method: post")
    assert only_error(path) == (
        f"{path}:{second}: functions.other.triggers[0]: POST /smartpath on api 'shop' is integrated with "
        f"both function 'smart' ({path}:{first}) and function 'other' ({path}:{second}); "
        "a method integrates with exactly one function"
    )


@pytest.mark.parametrize(
    ("stage", "problem"),
    [
        ("_emu", "the stage name '_emu' is reserved: the emulator's inspector lives at /_emu/"),
        ("my.stage", "invalid stage name 'my.stage'; use letters, digits, '-' and '_'"),
    ],
)
def test_stage_names(tmp_path: Path, stage: str, problem: str) -> None:
    listed = write(tmp_path, f"apis:\n  shop:\n    stages:\n      {stage}:\n", "listed.yaml")
    assert only_error(listed) == f"{listed}:4: apis.shop.stages.{stage}: {problem}"
    triggered = write(
        tmp_path, with_function(f"- {{api: shop, resource: /a, method: GET, stage: {stage}}}\n")
    )
    assert only_error(triggered) == f"{triggered}:7: functions.smart.triggers[0].stage: {problem}"


def test_stage_variable_names(tmp_path: Path) -> None:
    path = write(
        tmp_path, "apis:\n  shop:\n    stages:\n      Prod:\n        variables:\n          bad-name: x\n"
    )
    assert only_error(path) == (
        f"{path}:6: apis.shop.stages.Prod.variables.bad-name: "
        "invalid stage variable name 'bad-name'; use letters, digits and '_'"
    )


def test_two_apis_with_the_same_id(tmp_path: Path) -> None:
    path = write(tmp_path, "apis:\n  shop:\n    id: abcdefghij\n  admin:\n    id: abcdefghij\n")
    assert only_error(path) == (
        f"{path}:4: apis.admin: api id 'abcdefghij' is used by both api 'shop' ({path}:2) "
        f"and api 'admin' ({path}:4); each api needs its own id"
    )


@pytest.mark.parametrize(
    ("cors", "key", "problem"),
    [
        ("cors: yes please", "cors", "expected true, false or a mapping, got 'yes please'"),
        ("cors: {max_age: -1}", "cors.max_age", "expected an integer of at least 0, got -1"),
        ("cors: {allow_methods: [GET, FETCH]}", "cors.allow_methods[1]", "unknown method 'FETCH'"),
        ("cors: {allow_headers: 'a b'}", "cors.allow_headers", "invalid header name 'a b'"),
        ("cors: {origin: '*'}", "cors.origin", "unknown key 'origin'"),
        ("timeout_ms: 30000", "timeout_ms", "expected an integer from 50 to 29000, got 30000"),
        ("proxy: 1", "proxy", "expected true or false, got 1"),
    ],
)
def test_trigger_option_values(tmp_path: Path, cors: str, key: str, problem: str) -> None:
    path = write(tmp_path, with_function(f"- api: shop\n  resource: /a\n  method: GET\n  {cors}\n"))
    error = only_error(path)
    assert error.startswith(f"{path}:10: functions.smart.triggers[0].{key}: {problem}")


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apis:
          shop:
            id: nope
        functions:
          fn:
            handler: app
            memory: 1
            triggers:
              - {api: shop, resource: /a/, method: GET}
              - {api: nothing, resource: /b, method: GET}
        """,
    )
    with pytest.raises(ConfigErrors) as info:
        load_definitions(path)
    assert [(error.location.key_path, error.location.line) for error in info.value.errors] == [
        ("apis.shop.id", 3),
        ("functions.fn.handler", 6),
        ("functions.fn.memory", 7),
        ("functions.fn.triggers[0].resource", 9),
        ("functions.fn.triggers[1].api", 10),
    ]
    assert str(info.value).splitlines()[0] == "5 errors in the API definitions:"


# Folders


def test_folder_merges_yaml_files_in_order(tmp_path: Path) -> None:
    write(tmp_path, "apis:\n  shop:\n", "a.yaml")
    write(
        tmp_path,
        "functions:\n  smart:\n    handler: app.handler\n    triggers:\n"
        "      - {api: shop, resource: /a, method: GET}\n",
        "b.yml",
    )
    write(tmp_path, "not: loaded\n", "notes.txt")
    (tmp_path / "nested").mkdir()
    write(tmp_path / "nested", "also: not loaded\n", "c.yaml")
    definitions = load_definitions(tmp_path)
    assert definitions.sources == (tmp_path / "a.yaml", tmp_path / "b.yml")
    assert definitions.apis["shop"].resources["/a"].methods["GET"].integration.function == "smart"
    assert definitions.functions["smart"].location.file == str(tmp_path / "b.yml")


def test_same_names_in_two_files_name_both(tmp_path: Path) -> None:
    a = write(tmp_path, "apis:\n  shop:\nfunctions:\n  smart:\n    handler: app.handler\n", "a.yaml")
    b = write(tmp_path, "# b\napis:\n  shop:\nfunctions:\n  smart:\n    handler: app.other\n", "b.yaml")
    assert errors_of(tmp_path) == [
        f"{b}:3: apis.shop: api 'shop' is defined in both {a}:2 and {b}:3",
        f"{b}:5: functions.smart: function 'smart' is defined in both {a}:4 and {b}:5",
    ]


def test_folder_without_yaml_files(tmp_path: Path) -> None:
    assert only_error(tmp_path) == f"{tmp_path}: no *.yaml or *.yml files in this folder"
