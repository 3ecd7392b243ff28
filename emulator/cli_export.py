"""``apig-emu export``: one API of the definitions as AWS deploys it, an OpenAPI document or a SAM template.

The document goes to stdout, or to ``--output``; what AWS cannot store as the model has it goes to
stderr, one line each, so a pipe (``apig-emu export --format openapi > api.yaml``) gets the document only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from emulator.cli_harness import USAGE_ERROR, AddConfigOptions
from emulator.config.lambda_uris import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, account_id_problem, region_problem
from emulator.config.nodes import did_you_mean
from emulator.model import Definitions, RestApi, Stage

_RUNNING_PYTHON = f"python{sys.version_info.major}.{sys.version_info.minor}"


def add_command(commands: Any, add_config_options: AddConfigOptions) -> None:
    """Register ``export`` on the ``apig-emu`` parser's subcommands."""
    export = commands.add_parser(
        "export",
        help="write an API as an OpenAPI document or a SAM template for AWS",
        description="Write one API of the definitions, with everything its triggers, mocks and CORS compile "
        "to, as an OpenAPI 3.0 document with API Gateway's extensions (openapi) or as a SAM template that "
        "deploys it with its functions (sam). What AWS cannot store as the emulator has it is listed on stderr.",
    )
    # Its --stage too, worded for export: the stage to describe, not to narrow (``cli._add_config_options``).
    add_config_options(export)
    export.add_argument(
        "--format",
        required=True,
        choices=("openapi", "sam", "cloudformation"),
        help="openapi: the document API Gateway's import reads; sam: a template for sam deploy; "
        "cloudformation: the same without SAM's transform (functions' Code as folders, for aws cloudformation "
        "package)",
    )
    export.add_argument("--api", metavar="NAME", help="the API to export (default: the only one defined)")
    export.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE instead of stdout: JSON if it ends in .json, else YAML; a SAM template's "
        "CodeUri paths are relative to its folder (default: stdout, paths relative to the working directory)",
    )
    export.add_argument(
        "--region",
        default=DEFAULT_REGION,
        help=f"the region that Lambda ARNs and the server URL name (default: {DEFAULT_REGION}, the emulator's)",
    )
    export.add_argument(
        "--account-id",
        default=DEFAULT_ACCOUNT_ID,
        help=f"the AWS account that Lambda ARNs name (default: {DEFAULT_ACCOUNT_ID}, the emulator's)",
    )
    export.add_argument(
        "--runtime",
        default=None,
        help="sam and cloudformation only: every function's Lambda runtime (default: each function's own "
        f"runtime, else {_RUNNING_PYTHON}, the Python running apig-emu)",
    )


def _usage(message: str) -> int:
    print(f"apig-emu export: {message}", file=sys.stderr)
    return USAGE_ERROR


def cmd_export(args: argparse.Namespace) -> int:
    from emulator.cli import load_or_report
    from emulator.config.lambda_uris import Target
    from emulator.config.rules import runtime_problem
    from emulator.export.cloudformation import cloudformation_template
    from emulator.export.notes import Notes
    from emulator.export.openapi import export_openapi
    from emulator.export.sam import sam_template
    from emulator.export.writing import dump, wants_json

    problem = region_problem(args.region) or account_id_problem(args.account_id)
    if args.runtime is not None:
        problem = problem or (
            runtime_problem(args.runtime)
            if args.format in ("sam", "cloudformation")
            else "--runtime applies to --format sam and cloudformation only"
        )
    if problem:
        return _usage(problem)
    definitions = load_or_report(args)
    if definitions is None:
        return 1
    api = _chosen_api(definitions, args.api)
    if isinstance(api, str):
        return _usage(api)
    stages = _chosen_stages(api, args.stage, several=args.format == "openapi")
    if isinstance(stages, str):
        return _usage(stages)
    target = Target(args.region, args.account_id)
    notes = Notes()
    output: Path | None = args.output
    if args.format == "openapi":
        document: dict[str, object] = export_openapi(
            api, definitions, stages=stages, target=target, notes=notes
        )
    else:
        if not stages:
            notes.add(f"api '{api.name}'", "has no stage; the template deploys it as stage Prod")
        document = sam_template(
            api,
            definitions,
            stage=stages[0] if stages else None,
            target=target,
            notes=notes,
            template_dir=output.parent if output is not None else Path.cwd(),
            runtime=args.runtime,
        )
        if args.format == "cloudformation":
            document = cloudformation_template(document)
    text = dump(document, as_json=wants_json(output))
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"apig-emu export: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    for entry in notes.entries:
        print(f"apig-emu export: note: {entry}", file=sys.stderr)
    if output is not None:
        print(f"apig-emu export: wrote API '{api.name}' as {args.format} to {output}", file=sys.stderr)
    return 0


def _chosen_api(definitions: Definitions, name: str | None) -> RestApi | str:
    """The API to export, or what is wrong with the choice."""
    names = list(definitions.apis)
    if name is not None:
        if name in definitions.apis:
            return definitions.apis[name]
        return f"unknown api '{name}'{did_you_mean(name, names)}; the apis are: {', '.join(names) or 'none'}"
    if len(names) == 1:
        return definitions.apis[names[0]]
    if not names:
        return "the definitions have no api to export"
    return f"the definitions have {len(names)} apis: {', '.join(names)}; choose one with --api NAME"


def _chosen_stages(api: RestApi, name: str | None, *, several: bool) -> list[Stage] | str:
    """The stages to describe, or what is wrong with the choice; a SAM template deploys one stage."""
    names = list(api.stages)
    if name is not None:
        if name in api.stages:
            return [api.stages[name]]
        return (
            f"api '{api.name}' has no stage '{name}'{did_you_mean(name, names)}; "
            f"its stages are: {', '.join(names) or 'none'}"
        )
    if several or len(names) <= 1:
        return list(api.stages.values())
    return f"api '{api.name}' has {len(names)} stages: {', '.join(names)}; a SAM template deploys one: choose it with --stage NAME"


COMMANDS = {"export": cmd_export}
