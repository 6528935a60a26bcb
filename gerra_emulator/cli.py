"""Command line: ``gerra-emulator serve`` and ``gerra-emulator validate``.

The fault options are generated from the `FaultOptions` model, so every field
is a ``serve`` option with the same name and the same help text.
"""

from __future__ import annotations

import argparse
import enum
import json
import logging
import sys
import signal
import threading
import types
import typing
from datetime import datetime
from typing import Any

import structlog
from pydantic import ValidationError

from gerra_emulator.catalog import CatalogError, load_catalog
from gerra_emulator.faults import FaultOptions, FaultRule
from gerra_emulator.server import DEFAULT_HOST, DEFAULT_PORT, BackgroundServer, is_loopback
from gerra_emulator.store import Store

log = structlog.get_logger(__name__)

EXIT_USAGE = 2
EXIT_INVALID_CATALOG = 1


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional and Annotated; return the core type and whether it is a list."""
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(arg for arg in args if arg is not type(None))
        elif origin is list:
            is_list, annotation = True, args[0]
        else:
            return annotation, is_list


def _parse_rule(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"--fault-rule {text!r} is not JSON: {exc.msg}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"--fault-rule {text!r} must be a JSON object")
    return value


def _metavar(field_name: str) -> str:
    """Name an option's value by its unit, so ``--help`` shows what to type."""
    if field_name.endswith("_s"):
        return "SECONDS"
    if field_name.endswith(("_rate", "_fraction")):
        return "FRACTION"
    if field_name.endswith("_bytes"):
        return "BYTES"
    if field_name.endswith(("_ids", "_after_get")):
        return "DATASET_ID"
    if field_name.endswith("_endpoints"):
        return "ENDPOINT"
    if field_name.endswith("_status"):
        return "STATUS"
    return "N"


def _option_name(field_name: str) -> str:
    return "--fault-rule" if field_name == "rules" else "--" + field_name.replace("_", "-")


def _add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "fault injection",
        "Rates are fractions of matching requests (0-1); each option also exists at run time through "
        "PUT /_emulator/faults.",
    )
    for name, field in FaultOptions.model_fields.items():
        core, is_list = _unwrap(field.annotation)
        default = field.default
        help_text = field.description or ""
        options: dict[str, Any] = {"dest": name, "default": argparse.SUPPRESS}
        if name == "rules":
            kinds = ", ".join(kind.value for kind in FaultRule.model_fields["kind"].annotation)  # type: ignore[union-attr]
            help_text += f" Repeat for several rules. Fields: {', '.join(FaultRule.model_fields)}; kind is one of {kinds}."
            options.update(action="append", type=_parse_rule, metavar="JSON")
        elif core is bool:
            options.update(action="store_true")
        else:
            options["metavar"] = _metavar(name)
            if typing.get_origin(core) is typing.Literal:
                options["choices"] = list(typing.get_args(core))
                options["metavar"] = "{" + ",".join(str(choice) for choice in options["choices"]) + "}"
                if all(isinstance(choice, int) for choice in options["choices"]):
                    options["type"] = int
            elif isinstance(core, type) and issubclass(core, enum.Enum):
                options["choices"] = [member.value for member in core]
            else:
                options["type"] = core if core in (int, float) else str
            if is_list:
                options["action"] = "append"
                help_text += " Repeat the option for several values."
            if default not in (None, []) and not is_list:
                help_text += f" Default: {default}."
        group.add_argument(_option_name(name), help=help_text, **options)


def fault_arguments(options: FaultOptions) -> list[str]:
    """Return the ``serve`` options that reproduce `options` (only fields that differ from the defaults)."""
    arguments: list[str] = []
    for name, value in options.model_dump(mode="json", exclude_defaults=True).items():
        flag = _option_name(name)
        if isinstance(value, bool):
            if value:
                arguments.append(flag)
        elif isinstance(value, list):
            for item in value:
                arguments += [flag, json.dumps(item) if isinstance(item, dict) else str(item)]
        elif value is not None:
            arguments += [flag, str(value)]
    return arguments


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``gerra-emulator`` command."""
    parser = argparse.ArgumentParser(
        prog="gerra-emulator", description="Local emulator of the Gerra Datasets API, with fault injection."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve a catalog until SIGINT or SIGTERM",
        description="Serve the datasets of a catalog through the Gerra Datasets API on a loopback address "
        "until SIGINT or SIGTERM.",
    )
    serve.add_argument("--catalog", required=True, help="Path of the catalog.json to serve.")
    serve.add_argument(
        "--host",
        default=None,
        help=f"Address to listen on. Default: {DEFAULT_HOST}. Only an explicit --host may name a "
        "non-loopback address.",
    )
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port; 0 picks a free one. Default: {DEFAULT_PORT}.")
    serve.add_argument(
        "--now",
        type=datetime.fromisoformat,
        default=None,
        help="Start the emulator clock at this time, ISO 8601 with time zone (e.g. 2025-01-15T12:00:00Z). "
        "Default: the real time.",
    )
    serve.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], default="info", help="Log level. Default: info."
    )
    _add_fault_arguments(serve)

    validate = commands.add_parser("validate", help="check a catalog and print a summary")
    validate.add_argument("--catalog", required=True, help="Path of the catalog.json to check.")
    return parser


def configure_logging(level: str) -> None:
    """Send structlog events to stderr, leaving stdout for the ready line."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        # Resolve sys.stderr per logger, so a replaced stream (tests) is honoured.
        logger_factory=lambda *_args: structlog.PrintLogger(sys.stderr),
    )


def _fault_options(namespace: argparse.Namespace) -> FaultOptions:
    given = {name: getattr(namespace, name) for name in FaultOptions.model_fields if hasattr(namespace, name)}
    return FaultOptions(**given)


def _describe_validation_error(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "options"
        lines.append(f"  {_option_name(name)}: {error['msg']} (got {error['input']!r})")
    return "invalid fault options:\n" + "\n".join(lines)


def _serve(namespace: argparse.Namespace) -> int:
    try:
        faults = _fault_options(namespace)
    except ValidationError as exc:
        print(_describe_validation_error(exc), file=sys.stderr)
        return EXIT_USAGE

    host = namespace.host or DEFAULT_HOST
    if not is_loopback(host):
        # Only an explicit --host gets here. The control surface needs no key, so
        # anyone who reaches the port can change statuses and faults.
        log.warning("listening_on_non_loopback", host=host)

    if namespace.now is not None and namespace.now.tzinfo is None:
        print(f"invalid --now {namespace.now.isoformat()}: add a time zone, e.g. Z for UTC", file=sys.stderr)
        return EXIT_USAGE
    try:
        store = Store(load_catalog(namespace.catalog), faults, start_time=namespace.now)
    except CatalogError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID_CATALOG

    server = BackgroundServer(store, host, namespace.port, allow_non_loopback=True)
    try:
        server.start()
    except OSError as exc:
        print(str(exc.strerror or exc), file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    _serve_until_signal(server, host, len(store.datasets()), faults.seed)
    return 0


def _serve_until_signal(server: BackgroundServer, host: str, dataset_count: int, seed: int | None) -> None:
    """Announce the URL on stdout, then serve until SIGINT or SIGTERM arrives."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("stop_requested", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    url_host = f"[{host}]" if ":" in host else host
    log.info("emulator_serving", host=host, port=server.port, seed=seed)
    print(f"Gerra emulator listening on http://{url_host}:{server.port} ({dataset_count} datasets)", flush=True)
    while not stop.wait(0.5):
        if not server.is_running:
            log.error("emulator_server_died", port=server.port)
            break
    server.stop()


def _validate(namespace: argparse.Namespace) -> int:
    try:
        catalog = load_catalog(namespace.catalog)
    except CatalogError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID_CATALOG
    total_bytes = sum(path.stat().st_size for path in set(catalog.files.values()))
    print(
        f"catalog {catalog.path} is valid: {len(catalog.organizations)} organisations, "
        f"{len(catalog.datasets)} datasets, {len(set(catalog.files.values()))} archives ({total_bytes} bytes)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``gerra-emulator`` command and return its exit code."""
    namespace = build_parser().parse_args(argv)
    if namespace.command == "validate":
        return _validate(namespace)
    configure_logging(namespace.log_level)
    return _serve(namespace)


if __name__ == "__main__":
    sys.exit(main())
