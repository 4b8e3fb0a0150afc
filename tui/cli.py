"""The `migwatch` command line. Bad input: one line on stderr, exit code 2, never a traceback.

Headless commands (poll, analyze, export, feeds, opml) never import Textual: only the dashboard does.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tui import __version__


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _fail(message: str) -> int:
    print(f"migwatch: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="config file (default: $MIGWATCH_CONFIG or the XDG path)")
    common.add_argument("--db", metavar="FILE", help="database file (default: [store] path, or the XDG data dir)")

    parser = argparse.ArgumentParser(
        prog="migwatch",
        description="Watch migration agreements in the news: poll feeds, match stories, extract facts.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"migwatch {__version__}")
    parser.add_argument("--demo", action="store_true", help="the dashboard on bundled demo feeds (no network, no config)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("poll", parents=[common], help="poll feeds headless (systemd, cron with --once)")
    p.add_argument("--once", action="store_true", help="one round over every feed now, then exit")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")

    p = sub.add_parser("analyze", parents=[common], help="JSON Lines of stories in, JSON Lines of facts out")
    p.add_argument("file", nargs="?", default="-", help="input file, or - for stdin (default)")

    p = sub.add_parser("init", parents=[common], help="write a commented starter config")
    p.add_argument("path", nargs="?", help="where to write it (default: the XDG config path)")

    p = sub.add_parser("import-opml", parents=[common], help="add an OPML file's feeds to the config")
    p.add_argument("file")

    p = sub.add_parser("export-opml", parents=[common], help="print the config's feeds as OPML 2.0")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    p = sub.add_parser("export", parents=[common], help="export stories or the ledger")
    p.add_argument("kind", choices=["stories", "negotiations", "payments", "warnings"])
    p.add_argument("--format", choices=["csv", "json", "md"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    sub.add_parser("feeds", parents=[common], help="each feed's health: last result, error, next poll and why")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: cmd_dashboard,
        "poll": cmd_poll,
        "analyze": cmd_analyze,
        "init": cmd_init,
        "import-opml": cmd_import_opml,
        "export-opml": cmd_export_opml,
        "export": cmd_export,
        "feeds": cmd_feeds,
    }
    try:
        return handlers[args.command](args)
    except UsageError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `migwatch export … | head`: the reader went away; that is not an error.
        sys.stderr.close()
        return 0


def run() -> None:
    sys.exit(main())


# ---------------------------------------------------------------------------------------------- analyze


def cmd_analyze(args: argparse.Namespace) -> int:
    import json

    from feeds.analyze import InputError, analyze_jsonl

    catalogue = _catalogue_for(args)
    if args.file == "-":
        stream = sys.stdin
    else:
        try:
            stream = open(args.file, encoding="utf-8", errors="replace")  # noqa: SIM115
        except OSError as exc:
            raise UsageError(f"{args.file}: {exc.strerror or exc}") from None
    out = sys.stdout
    try:
        for row in analyze_jsonl(stream, catalogue):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    except InputError as exc:
        raise UsageError(f"{args.file if args.file != '-' else '<stdin>'}: {exc}") from None
    finally:
        if stream is not sys.stdin:
            stream.close()
    return 0


def _catalogue_for(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The bundled catalogue plus the config's own [[agreements]], if a config is given or exists."""
    from feeds.agreements import load_catalogue

    settings = _load_settings(args, required=False)
    extra = settings.agreements if settings is not None else ()
    return load_catalogue(extra)


# ---------------------------------------------------------------------------------------------- config


def _config_path(args: argparse.Namespace) -> tuple[Path, bool]:
    """The config path and whether the user named it (then it must exist)."""
    from feeds.config import default_config_path

    if getattr(args, "config", None):
        return Path(args.config).expanduser(), True
    env = os.environ.get("MIGWATCH_CONFIG")
    if env:
        return Path(env).expanduser(), True
    return default_config_path(), False


def _load_settings(args: argparse.Namespace, required: bool = True):  # type: ignore[no-untyped-def]
    from feeds.config import ConfigError, load_config

    path, named = _config_path(args)
    if not path.exists() and not (named or required):
        return None
    try:
        return load_config(path)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def cmd_dashboard(args: argparse.Namespace) -> int:
    raise UsageError("the dashboard is not built yet")


def cmd_poll(args: argparse.Namespace) -> int:
    raise UsageError("not built yet")


def cmd_init(args: argparse.Namespace) -> int:
    raise UsageError("not built yet")


def cmd_import_opml(args: argparse.Namespace) -> int:
    raise UsageError("not built yet")


def cmd_export_opml(args: argparse.Namespace) -> int:
    raise UsageError("not built yet")


def cmd_export(args: argparse.Namespace) -> int:
    raise UsageError("not built yet")


def cmd_feeds(args: argparse.Namespace) -> int:
    raise UsageError("not built yet")
