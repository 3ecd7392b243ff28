"""apig-emu's pytest plugin, registered through the ``pytest11`` entry point: installing is enough.

Thin glue over ``emulator.testing``; the fixtures are layered so the costly parts happen once:

    apig_config, apig_isolation                  session; override them in a conftest.py
      └─ apig_code_dir                            per test: a template's folder follows apig_config
      └─ apig_definitions                         per test, each file loaded once per session
           └─ apig                                per test: a fresh Harness (gateway, records, overrides)
                └─ apig_server                    per test: the session's server lent apig's gateway
    apig_event_loop                               session: the loop all of them run on
      └─ apig_session_server                      session: uvicorn on a free port

Nothing is read until a test asks for a fixture, so a project that installs apig-emu without using
it (or whose tests do not all use it) is not affected by a missing ``config/apig.yaml``.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from emulator.auth.tokens import mint_for
from emulator.config import ConfigError, ConfigErrors, ConfigWarning, formats
from emulator.config.errors import warnings_report
from emulator.config.overrides import OverrideError, parse_overrides
from emulator.logs import lambda_log
from emulator.model import Definitions, Location
from emulator.runtime.isolation import ISOLATIONS, create_invoker
from emulator.testing.config import ConfigSource
from emulator.testing.harness import AUTH_MODES, Harness, LiveServer
from emulator.validation import CodeRootSetting, validate

_HARNESS = pytest.StashKey[Harness]()
#: ``apig_token``: a user's token from the sub and ``Harness.token``'s options.
TokenMaker = Callable[..., str]
#: Definitions loaded and their handlers checked this session, or the error message, by (config
#: path, code dir, isolation, parameter overrides, --env-vars file, stage, stage prefix).
_LOADED = pytest.StashKey[
    dict[
        tuple[Path, Path, str, tuple[tuple[str, str], ...], Path | None, str | None, bool],
        Definitions | str,
    ]
]()
#: The code root of each config file named this session, by its path.
_CODE_DIRS = pytest.StashKey[dict[Path, Path]]()
#: How a handler's hint names the code root here.
_CODE_ROOT = CodeRootSetting("the apig_code_dir ini option", "apig_code_dir = {}")
_SECTION = "apig-emu invocations"


class ApigServerLeftRunning(pytest.PytestWarning):
    """A test started a server with ``apig.serve()`` and did not stop it; the ``apig`` fixture did.

    Left running, the server would have kept the session's event loop busy, and pytest would have
    waited for it forever. ``-W error::emulator.pytest_plugin.ApigServerLeftRunning`` makes it an error.
    """


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apig-emu", "apig-emu: API Gateway and Lambda emulator")
    group.addoption(
        "--apig-config",
        default=None,
        metavar="PATH",
        help="the API definitions for the apig fixtures: apig-emu's YAML (a file or a folder of them), a "
        "SAM or CloudFormation template; default: the apig_config ini option, else the first of "
        f"{', '.join(formats.default_paths())} under the rootdir",
    )
    group.addoption(
        "--apig-parameter-overrides",
        nargs="+",
        action="extend",
        default=[],
        metavar="KEY=VALUE",
        help="a template's Parameters for the apig fixtures, as sam local start-api's --parameter-overrides "
        "(default: the apig_parameter_overrides ini option)",
    )
    parser.addini(
        "apig_parameter_overrides",
        "a template's Parameters for the apig fixtures, Key=Value, one or more per line",
        type="linelist",
        default=[],
    )
    group.addoption(
        "--apig-env-vars",
        default=None,
        metavar="FILE",
        help="SAM CLI's JSON of environment variables for the apig fixtures' functions, as sam local "
        "start-api's --env-vars (default: the apig_env_vars ini option)",
    )
    parser.addini(
        "apig_env_vars",
        "SAM CLI's JSON of environment variables for the apig fixtures' functions, relative to the ini file",
        default=None,
    )
    group.addoption(
        "--apig-stage",
        default=None,
        metavar="NAME",
        help="the stage, as apig-emu serve --stage: serverless.yml's ${opt:stage}, and only this stage of "
        "each API served to the apig fixtures (default: the apig_stage ini option, else the definitions' own)",
    )
    parser.addini(
        "apig_stage", "the stage, as --apig-stage (default: every stage, the definitions' own)", default=None
    )
    group.addoption(
        "--apig-aws-endpoint-url",
        default=None,
        metavar="URL",
        help="where the apig fixtures' AWS service integrations call, as apig-emu serve --aws-endpoint-url "
        "(default: the apig_aws_endpoint_url ini option, else the definitions' aws: settings)",
    )
    parser.addini(
        "apig_aws_endpoint_url",
        "where AWS service integrations call, as --apig-aws-endpoint-url (moto_server, LocalStack…)",
        default=None,
    )
    group.addoption(
        "--apig-no-stage-prefix",
        action="store_true",
        default=False,
        help="serve the APIs at the root to the apig fixtures (apig.get('/items')), as apig-emu serve "
        "--no-stage-prefix (default: the apig_stage_prefix ini option)",
    )
    parser.addini(
        "apig_stage_prefix",
        "whether the apig fixtures' URLs start with the stage, /Prod/items (default: true, unless the "
        "definitions say otherwise, as noPrependStageInUrl does); false serves the APIs at the root, as "
        "apig-emu serve --no-stage-prefix",
        type="bool",
        default=True,
    )
    parser.addini(
        "apig_config",
        "the API definitions for the apig fixtures, relative to the ini file",
        default=None,
    )
    parser.addini(
        "apig_code_dir",
        "where handler modules are imported from, relative to the ini file (default: the rootdir; "
        "for a template, its folder)",
        default=None,
    )
    group.addoption(
        "--apig-fail-on-warnings",
        action="store_true",
        default=False,
        help="fail the tests that use the apig fixtures when the definitions have warnings "
        "(default: the apig_fail_on_warnings ini option, else false: each is a ConfigWarning)",
    )
    parser.addini(
        "apig_fail_on_warnings",
        "fail on the definitions' warnings, as AWS's import with failonwarnings=true (default: false)",
        type="bool",
        default=False,
    )
    parser.addini(
        "apig_isolation",
        f"where the apig fixtures run handlers: {' or '.join(ISOLATIONS)} (default: thread)",
        default="thread",
    )
    group.addoption(
        "--apig-auth",
        choices=AUTH_MODES,
        default=None,
        help="off: the apig fixtures serve every method without its authorization, requestContext.authorizer "
        "filled from the definitions' auth_off:, as apig-emu serve --auth off (default: the apig_auth ini "
        "option, else on)",
    )
    parser.addini(
        "apig_auth", "on, or off to skip every method's authorization in the apig fixtures", default="on"
    )
    parser.addini(
        "apig_max_workers",
        "the most worker processes each test's gateway runs at once under process isolation, as "
        "apig-emu serve --max-workers (default: sized for this machine, as serve's)",
        default=None,
    )


def _ini_base(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath is not None else config.rootpath


def _config_source(config: pytest.Config) -> tuple[Path, str]:
    """The definitions' path and, for error messages, which setting named it."""
    option = config.getoption("apig_config")
    if option:
        return config.invocation_params.dir / option, "the --apig-config option"
    ini = config.getini("apig_config")
    if ini:
        return _ini_base(config) / str(ini), f"the apig_config option in {config.inipath}"
    found = formats.find_default(config.rootpath)
    return config.rootpath / (found or formats.default_paths()[0]), (
        "the default; name another with --apig-config, the apig_config ini option, "
        "or by overriding the apig_config fixture"
    )


@pytest.fixture(scope="session")
def apig_config(pytestconfig: pytest.Config) -> ConfigSource:
    """The API definitions: a path to a YAML file or folder, or loaded ``Definitions``.

    Override it in a ``conftest.py`` to choose them in code (a relative path is taken from the
    rootdir); otherwise ``--apig-config``, then the ``apig_config`` ini option, then the first of
    ``config/apig.yaml``, ``template.yaml``, ``template.yml`` under the rootdir (as ``apig-emu serve``
    looks for them in its working directory).
    """
    return _config_source(pytestconfig)[0]


@pytest.fixture
def apig_code_dir(pytestconfig: pytest.Config, apig_config: ConfigSource) -> Path:
    """Where handler modules are imported from (Lambda's code root): the ``apig_code_dir`` ini option, else
    the rootdir, or for a template its folder (which its ``CodeUri`` paths are relative to).

    Per test, as ``apig_definitions`` is: it follows ``apig_config``, which a ``conftest.py`` may
    override for its directory with a fixture of any scope.
    """
    ini = pytestconfig.getini("apig_code_dir")
    if ini:
        return _ini_base(pytestconfig) / str(ini)
    if isinstance(apig_config, Definitions):
        return pytestconfig.rootpath
    path = pytestconfig.rootpath / apig_config
    # Recognising the format reads the file: once per session, as the definitions are loaded once.
    known = pytestconfig.stash.setdefault(_CODE_DIRS, {})
    if path not in known:
        entry = formats.recognise(path)
        known[path] = pytestconfig.rootpath if entry is formats.APIG else entry.default_code_dir(path)
    return known[path]


def _overrides(config: pytest.Config) -> dict[str, str]:
    given = config.getoption("apig_parameter_overrides") or config.getini("apig_parameter_overrides")
    try:
        return parse_overrides(given)
    except OverrideError as error:
        pytest.fail(f"apig-emu: apig_parameter_overrides: {error}", pytrace=False)


def _env_vars(config: pytest.Config) -> Path | None:
    """``--apig-env-vars`` (from the invocation directory) or ``apig_env_vars`` (from the ini file)."""
    option = config.getoption("apig_env_vars")
    if option:
        return (config.invocation_params.dir / str(option)).resolve()
    ini = config.getini("apig_env_vars")
    return (_ini_base(config) / str(ini)).resolve() if ini else None


def _stage(config: pytest.Config) -> str | None:
    return str(config.getoption("apig_stage") or config.getini("apig_stage") or "") or None


def _stage_prefix(config: pytest.Config) -> bool:
    return not config.getoption("apig_no_stage_prefix") and bool(config.getini("apig_stage_prefix"))


@pytest.fixture(scope="session")
def apig_aws_endpoint_url(pytestconfig: pytest.Config) -> str | None:
    """Where AWS service integrations call, as ``serve --aws-endpoint-url``: ``--apig-aws-endpoint-url``, else
    the ``apig_aws_endpoint_url`` ini option, else the definitions' ``aws:`` settings and the environment.

    Override it in a ``conftest.py`` to point the ``apig`` fixture at a server the tests start (moto's,
    on a free port), as ``return f"http://127.0.0.1:{moto_port}"``.
    """
    url = pytestconfig.getoption("apig_aws_endpoint_url") or pytestconfig.getini("apig_aws_endpoint_url")
    return str(url) if url else None


@pytest.fixture(scope="session")
def apig_isolation(pytestconfig: pytest.Config) -> str:
    """Where handlers run: ``thread`` (in this process: breakpoints and mocks work) unless the ini says otherwise."""
    return str(pytestconfig.getini("apig_isolation") or "thread")


@pytest.fixture
def apig_definitions(
    pytestconfig: pytest.Config, apig_config: ConfigSource, apig_code_dir: Path, apig_isolation: str
) -> Definitions:
    """The definitions ``apig_config`` names, each file loaded and its handlers imported once per session.

    Per test rather than per session, so that a ``conftest.py`` deeper in the tree can override
    ``apig_config`` for its directory. An error in the definitions, or a handler that does not
    import, fails each test that needs them, worded as ``apig-emu validate`` words it: a handler's
    ``Runtime.ImportModuleError`` would otherwise surface later as a 502 in some test's assertion.
    Handlers are imported as ``apig_isolation`` runs them (in this process for ``thread``).
    Definitions given as loaded ``Definitions`` are used as they are, handlers unchecked: the way to
    test a function's init error on purpose.
    """
    if isinstance(apig_config, Definitions):
        return apig_config
    path = pytestconfig.rootpath / apig_config
    cache = pytestconfig.stash.setdefault(_LOADED, {})
    overrides = _overrides(pytestconfig)
    env_vars = _env_vars(pytestconfig)
    stage, stage_prefix = _stage(pytestconfig), _stage_prefix(pytestconfig)
    key = (
        path.resolve(),
        Path(apig_code_dir).resolve(),
        apig_isolation,
        tuple(sorted(overrides.items())),
        env_vars,
        stage,
        stage_prefix,
    )
    if key not in cache:
        fail_on_warnings = bool(
            pytestconfig.getoption("apig_fail_on_warnings") or pytestconfig.getini("apig_fail_on_warnings")
        )
        definitions, errors, found = validate(
            path,
            code_dir=apig_code_dir,
            isolation=apig_isolation,
            setting=_CODE_ROOT,
            fail_on_warnings=fail_on_warnings,
            parameter_overrides=overrides,
            env_vars=env_vars,
            stage=stage,
            no_stage_prefix=not stage_prefix,
        )
        if not definitions.serving.stage_in_path and not errors:
            found = [*found, *_root_clashes(definitions, path)]
        if found:
            # Once per session, in the warnings summary; ``-W error::emulator.config.ConfigWarning`` or
            # the apig_fail_on_warnings option make them fail instead.
            warnings.warn(ConfigWarning(f"apig-emu: {warnings_report(found)}"), stacklevel=1)
        if errors:
            from_settings, origin = _config_source(pytestconfig)
            if path != from_settings:
                origin = "the apig_config fixture"
            cache[key] = f"apig-emu: {ConfigErrors(errors)}\n(the definitions were named by {origin})"
        else:
            cache[key] = definitions
    loaded = cache[key]
    if isinstance(loaded, str):
        pytest.fail(loaded, pytrace=False)
    return loaded


@pytest.fixture(scope="session")
def apig_event_loop() -> Iterator[BlockingPortal]:
    """The one event loop, in a thread, that runs the gateway for every test and the socket server.

    One loop rather than one per test: cheaper, and a process-isolated invoker's workers belong to
    the loop that started them, so a test's socket and in-process requests must share it.
    """
    with start_blocking_portal() as portal:
        yield portal


def _root_clashes(definitions: Definitions, path: Path) -> list[ConfigError]:
    """What serving at the root hides, as warnings of the definitions."""
    from emulator.root_clashes import root_clashes

    return [
        ConfigError(Location(str(path)), f"served at the root: {line}") for line in root_clashes(definitions)
    ]


def _harness(
    definitions: Definitions,
    isolation: str,
    portal: BlockingPortal,
    max_workers: int | None,
    *,
    stage_prefix: bool,
    aws_endpoint_url: str | None,
    auth: str,
) -> Harness:
    if auth not in AUTH_MODES:
        pytest.fail(f"apig-emu: apig_auth: expected on or off, got {auth!r}", pytrace=False)
    try:
        invoker = create_invoker(isolation, max_workers=max_workers)
    except ValueError as error:
        problem = str(error)
    else:
        return Harness(
            definitions,
            invoker=invoker,
            portal=portal,
            stage_prefix=stage_prefix,
            aws_endpoint_url=aws_endpoint_url,
            auth=auth,
        )
    # Outside the except block, so the report shows the message and not the exception it replaced.
    pytest.fail(f"apig-emu: apig_isolation: {problem}", pytrace=False)


def _max_workers(config: pytest.Config) -> int | None:
    """The ``apig_max_workers`` ini option; ``None`` for the default ``serve`` has on this machine."""
    text = str(config.getini("apig_max_workers") or "").strip()
    if not text:
        return None
    count = int(text) if text.isdigit() else 0
    if count < 1:
        pytest.fail(
            f"apig-emu: apig_max_workers in {config.inipath}: expected a whole number of worker "
            f"processes, 1 or more, got {text!r}",
            pytrace=False,
        )
    return count


class _TracebacksInTheReport(logging.Filter):
    """A function error's log record without its traceback while a test's ``apig`` records it.

    A failed test's report shows the traceback under "apig-emu invocations", next to the request
    that caused it and the function's output; pytest's "Captured log" would show it a second time,
    so there the error keeps its one line, which still says what and where.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        fields = getattr(record, "apig", None)
        if fields is not None and fields.get("kind") == "error":
            record.exc_text = None
        return True


@pytest.fixture
def apig(
    request: pytest.FixtureRequest,
    apig_definitions: Definitions,
    apig_isolation: str,
    apig_event_loop: BlockingPortal,
    apig_aws_endpoint_url: str | None,
) -> Iterator[Harness]:
    """The gateway in-process, fresh for each test: ``apig.get("/Prod/items/1")``, ``apig.invocations``.

    Fresh means a new gateway and invoker: no records, no overrides. Under thread isolation handler
    modules stay imported between tests, as a warm Lambda's do, so their module-level state carries
    over; under process isolation each test starts cold.

    A server the test started with ``apig.serve()`` and left running (it forgot, or failed first) is
    stopped at teardown, with an ``ApigServerLeftRunning`` warning that names the test.
    """
    harness = _harness(
        apig_definitions,
        apig_isolation,
        apig_event_loop,
        _max_workers(request.config),
        stage_prefix=_stage_prefix(request.config),
        aws_endpoint_url=apig_aws_endpoint_url,
        auth=str(request.config.getoption("apig_auth") or request.config.getini("apig_auth") or "on"),
    )
    request.node.stash[_HARNESS] = harness
    in_the_report = _TracebacksInTheReport()
    lambda_log.addFilter(in_the_report)
    try:
        yield harness
    finally:
        lambda_log.removeFilter(in_the_report)
        left = harness.stop_servers()
        harness.close()
        # Last: made an error with -W, the warning must not keep the server or the invoker alive.
        for url in left:
            warnings.warn(
                ApigServerLeftRunning(
                    f"{request.node.nodeid} started a server with apig.serve() and did not stop it: "
                    f"apig-emu stopped it at teardown ({url}). Use `with apig.serve() as server:`, call "
                    "server.stop(), or use the apig_server fixture"
                ),
                stacklevel=1,
            )


@pytest.fixture
def apig_token(apig_definitions: Definitions) -> TokenMaker:
    """Log in as a user in one line: ``apig_token(sub="alice", groups=["admin"])`` is the value of the
    ``Authorization`` header for a Cognito-protected method, a token of the built-in local issuer.

    It takes ``Harness.token``'s arguments: ``pool`` (needed only with several local pools), ``groups``,
    ``scopes`` (an access token then), ``claims``, ``expires_in``, ``token_use``, ``now``.
    """

    def token(sub: str = "test-user", **options: Any) -> str:
        return mint_for(apig_definitions, sub, **options)

    return token


@pytest.fixture(scope="session")
def apig_session_server(apig_event_loop: BlockingPortal) -> Iterator[LiveServer]:
    """The socket server, started once; ``apig_server`` lends it each test's gateway.

    Between tests it answers with a gateway over no API at all: a 403 to anything, so a browser or
    process left running by one test cannot reach the next test's handlers.
    """
    idle = Harness(Definitions(), portal=apig_event_loop)
    server = idle.serve()
    yield server
    server.stop()
    idle.close()


@pytest.fixture
def apig_server(apig: Harness, apig_session_server: LiveServer) -> Iterator[LiveServer]:
    """The same gateway as ``apig`` on a real socket: ``requests.get(apig_server.url + "/Prod/items/1")``.

    Requests to it are recorded in ``apig.invocations`` (also ``apig_server.invocations``) and see
    ``apig``'s overrides.
    """
    previous = apig_session_server.harness
    apig_session_server.harness = apig
    yield apig_session_server
    apig_session_server.harness = previous


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report lists what the gateway did: each request, its function's error and logs."""
    report: pytest.TestReport = yield
    harness = item.stash.get(_HARNESS, None)
    if harness is not None and report.failed and report.when in ("setup", "call"):
        report.sections.append((_SECTION, harness.report()))
    return report
