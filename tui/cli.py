"""The `migwatch` command line. Bad input: one line on stderr, exit code 2, never a traceback.

Headless commands (poll, analyze, export, feeds, opml) never import Textual: only the dashboard does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from feeds.config import FULL_TEXT_MODES
from tui import __version__


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _fail(message: str) -> int:
    print(f"migwatch: {message}", file=sys.stderr)
    return 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line (not the whole usage) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    def options(default: object) -> argparse.ArgumentParser:
        # The global options work before or after the command; a subcommand's copy must not reset
        # a value given before it, hence SUPPRESS as its default.
        p = _Parser(add_help=False)
        p.add_argument("--config", metavar="FILE", default=default,
                       help="config file (default: $MIGWATCH_CONFIG or the XDG path)")
        p.add_argument("--db", metavar="FILE", default=default,
                       help="database file (default: [store] path, or the XDG data dir)")
        return p

    common = options(argparse.SUPPRESS)
    parser = _Parser(
        prog="migwatch",
        description="Watch migration agreements in the news: poll feeds, match stories, extract facts.",
        parents=[options(None)],
    )
    parser.add_argument("--version", action="version", version=f"migwatch {__version__}")
    parser.add_argument("--demo", action="store_true", help="the dashboard on bundled demo feeds (no network, no config)")
    parser.add_argument("--agreement", metavar="ID", help="start the dashboard filtered to an agreement, its dossier open")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("poll", parents=[common], help="poll feeds headless (systemd, cron with --once)")
    p.add_argument("--once", action="store_true", help="one round over every feed now, then exit")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument("--full-text", choices=FULL_TEXT_MODES, metavar="MODE",
                   help="fetch articles this way for every feed in this run: auto, always or never "
                        "(overrides [poll] full_text and each feed's own)")

    p = sub.add_parser("analyze", parents=[common], help="JSON Lines of stories in, JSON Lines of facts out")
    p.add_argument("file", nargs="?", default="-", help="input file, or - for stdin (default)")

    p = sub.add_parser("init", parents=[common], help="write a commented starter config")
    p.add_argument("path", nargs="?", help="where to write it (default: the XDG config path)")

    p = sub.add_parser("import-opml", parents=[common], help="add an OPML file's feeds to the config")
    p.add_argument("file")

    p = sub.add_parser("export-opml", parents=[common], help="print the config's feeds as OPML 2.0")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    p = sub.add_parser("export", parents=[common], help="export stories, the ledger, or one agreement's dossier")
    p.add_argument("kind", choices=["stories", "negotiations", "payments", "warnings", "dossier"])
    p.add_argument("agreement", nargs="?", help="the agreement's id (export dossier AGREEMENT)")
    p.add_argument("--format", choices=["csv", "json", "md"], default="json")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    sub.add_parser("feeds", parents=[common], help="each feed's health: last result, error, next poll and why")
    parser.set_defaults(_commands=sub.choices)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # said by the command's own parser: "migwatch poll: unrecognized arguments: --bogus"
        parser_of_command = args._commands.get(args.command) if args.command else None
        (parser_of_command or parser).error(f"unrecognized arguments: {' '.join(extra)}")
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
        code = handlers[args.command](args)
        sys.stdout.flush()  # a reader that went away is found here, not in Python's flush at exit
        return code
    except UsageError as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        # `migwatch analyze … | head`: the reader went away, as with any Unix filter; that is not an error.
        # stdout is pointed at /dev/null so that Python's own flush at exit does not raise it again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        fault = _database_fault(exc, args)
        if fault is None:
            raise
        # A full disk, a read-only or corrupt database: one line, and an exit code of its own.
        print(f"migwatch: {fault}", file=sys.stderr)
        return fault.exit_code
    except KeyboardInterrupt:
        return 130


def _database_fault(exc: BaseException, args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The DatabaseFault `exc` is (or stands for: a sqlite3 error from a command's queries), else None."""
    import sqlite3

    if not isinstance(exc, sqlite3.Error) and "store" not in sys.modules:
        return None
    from store import DatabaseFault, database_fault

    if isinstance(exc, DatabaseFault):
        return exc
    if not isinstance(exc, sqlite3.Error):
        return None
    path = getattr(args, "db", None) or "the database"
    return database_fault(exc, path)


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


def _db_path(args: argparse.Namespace, settings) -> Path:  # type: ignore[no-untyped-def]
    from feeds.config import default_db_path

    given = getattr(args, "db", None)
    if given is not None:
        if not given.strip():
            raise UsageError("--db: empty path (give a database file, or leave --db out for the default)")
        return _in_existing_folder(Path(given).expanduser(), "--db")
    if settings is not None and settings.db_path is not None:
        return _in_existing_folder(Path(settings.db_path), f"{settings.path}: [store] path")
    return default_db_path()  # its folder is made on first use


def _refuse_bad_keys(settings) -> None:  # type: ignore[no-untyped-def]
    """A [keys] remap that is unknown or takes another binding's key: one line, exit 2. (Loads the dashboard's
    bindings, so only when there are remaps to check.)"""
    if settings is None or not settings.keys:
        return
    from tui.app import check_keys

    problem = check_keys(settings)
    if problem:
        raise UsageError(problem)


def _in_existing_folder(path: Path, what: str) -> Path:
    """A database path the user chose: a missing folder is more likely a typo than a wish for a new one."""
    if not path.parent.is_dir():
        raise UsageError(f"{what} {path}: the folder {path.parent} does not exist")
    return path


def _open_store(path: Path):  # type: ignore[no-untyped-def]
    from store import DatabaseFault, Store, StoreError

    try:
        return Store(path)
    except DatabaseFault:
        raise  # its own exit code (main)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


# ---------------------------------------------------------------------------------------------- dashboard


def cmd_dashboard(args: argparse.Namespace) -> int:
    if args.demo:
        return _run_demo(args)
    settings = _load_settings(args, required=False)
    if settings is None:
        path, _ = _config_path(args)
        raise UsageError(f"{path}: no config yet: run `migwatch init` to write a starter one, "
                         "or `migwatch --demo` to try migwatch without one")
    db_path = _db_path(args, settings)
    _open_store(db_path).close()  # a bad database is a one-line error here, not a crash in the app
    _refuse_bad_keys(settings)
    from tui.app import run_dashboard

    return int(run_dashboard(settings, db_path, agreement=args.agreement))


DEMO_PORT = 18731


def _run_demo(args: argparse.Namespace) -> int:
    """The dashboard on bundled stories served from loopback: no config, no network."""
    import tempfile

    from tui.app import run_dashboard
    from tui.demo import DemoServer, demo_settings

    with tempfile.TemporaryDirectory(prefix="migwatch-demo-") as tmp:
        db_path = _db_path(args, None) if args.db is not None else Path(tmp) / "demo.db"
        _open_store(db_path).close()
        # A fixed port keeps the demo feeds' URLs the same from run to run, so a kept --db database does not
        # collect a new set of feeds each time; any free port does if that one is taken.
        try:
            server = DemoServer(port=DEMO_PORT).start()
        except OSError:
            server = DemoServer().start()
        try:
            return int(run_dashboard(demo_settings(server), db_path, demo=True, agreement=args.agreement))
        finally:
            server.stop()


# ---------------------------------------------------------------------------------------------- poll


DISK_FULL_RETRY = 60.0  # seconds between rounds while the disk is full


def _disk_full_wait(fault: Exception) -> None:
    """A full disk may be freed: the daemon says so once a round and tries again."""
    import time

    print(f"migwatch poll: {fault}; trying again in {DISK_FULL_RETRY:g}s", file=sys.stderr, flush=True)
    time.sleep(DISK_FULL_RETRY)


def cmd_poll(args: argparse.Namespace) -> int:
    import asyncio

    from feeds.agreements import load_catalogue
    from feeds.pipeline import Poller
    from feeds.text import one_line, plural
    from store import DatabaseFault

    settings = _load_settings(args)
    if args.full_text:
        settings = replace(settings, poll=replace(settings.poll, full_text=args.full_text),
                           feeds=tuple(replace(f, full_text=None) for f in settings.feeds))
    db_path = _db_path(args, settings)
    while True:
        try:
            _open_store(db_path).close()
            break
        except DatabaseFault as fault:
            if args.once or fault.kind != "full":
                raise
            _disk_full_wait(fault)
    if not settings.feeds:
        raise UsageError(f"{settings.path}: no [[feeds]] to poll (add some, or `migwatch import-opml FILE`)")
    catalogue = load_catalogue(settings.agreements)

    async def rounds() -> int:
        import signal

        # SIGTERM (systemd stop, kill) ends the daemon as Ctrl-C does: the round is cancelled and the
        # poller closes its pools and fork server, instead of dying by the signal with them running.
        main_task = asyncio.current_task()
        terminated: list[bool] = []

        def on_sigterm() -> None:
            terminated.append(True)
            if main_task is not None:
                main_task.cancel()

        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        except (NotImplementedError, RuntimeError, ValueError):  # no signal handlers here (Windows, a thread)
            pass
        poller = Poller(settings, db_path, catalogue)
        try:
            while True:
                try:
                    result = await poller.poll_round(force=args.once)
                except DatabaseFault as fault:
                    if args.once or fault.kind != "full":
                        raise
                    await asyncio.to_thread(_disk_full_wait, fault)
                    continue
                if not args.quiet:
                    print(f"migwatch poll: {result.summary()}", flush=True)
                for outcome in result.outcomes:
                    if outcome.error and not args.quiet:
                        # Both come from outside (a server's reason phrase, a feed's name): through the gate.
                        print(f"  {one_line(outcome.name, 60)}: {one_line(outcome.error, 300)}", file=sys.stderr,
                              flush=True)
                if args.once:
                    # cron wants the whole ledger: the round's articles are fetched before it exits.
                    pending = poller.articles_pending
                    if pending and not args.quiet:
                        print(f"migwatch poll: fetching {plural(pending, 'article')} (one at a time per site)",
                              flush=True)
                    await poller.finish_articles()
                    if not args.quiet:
                        summary = poller.articles.summary() or (
                            "articles: none needed (no new story with a short feed text about migration)"
                            if settings.poll.full_text != "never" else "articles: none (full_text = never)")
                        print(f"migwatch poll: {summary}", flush=True)
                    # cron mails on a non-zero exit: say so when not a single feed could be read.
                    all_failed = result.polled > 0 and result.errors == result.polled
                    return 1 if all_failed else 0
                next_at = result.next_poll_at or await poller.next_poll_at()
                from datetime import UTC, datetime

                wait = 60.0 if next_at is None else (next_at - datetime.now(UTC)).total_seconds()
                await asyncio.sleep(min(max(wait, 1.0), 3600.0))
        except asyncio.CancelledError:
            if not terminated or main_task is None:
                raise
            main_task.uncancel()
            return 128 + signal.SIGTERM
        finally:
            await poller.aclose()
            try:
                loop.remove_signal_handler(signal.SIGTERM)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    return asyncio.run(rounds())


# ---------------------------------------------------------------------------------------------- init


def cmd_init(args: argparse.Namespace) -> int:
    from feeds.config import STARTER_CONFIG

    path = Path(args.path).expanduser() if args.path else _config_path(args)[0]
    if path.exists():
        raise UsageError(f"{path}: already exists; not overwriting it (edit it, or choose another path)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(STARTER_CONFIG)
    except FileExistsError:
        raise UsageError(f"{path}: already exists; not overwriting it") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {path}: edit its [[feeds]], then run `migwatch` (or `migwatch poll --once`)")
    return 0


# ---------------------------------------------------------------------------------------------- OPML


def cmd_import_opml(args: argparse.Namespace) -> int:
    import tomllib

    from feeds.config import ConfigError, check_feed_url, feed_url_key, settings_from_dict
    from feeds.opml import OpmlError, read_opml
    from feeds.text import one_line

    try:
        data = Path(args.file).expanduser().read_bytes()
    except OSError as exc:
        raise UsageError(f"{args.file}: {exc.strerror or exc}") from None
    try:
        opml_feeds = read_opml(data)
    except OpmlError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    path, _ = _config_path(args)
    if path.exists():
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: cannot read the config: {exc}") from None
        _load_settings(args)  # the existing file must be valid before we add to it
        existing = tomllib.loads(original.removeprefix("\ufeff"))
    else:
        original = "# migwatch config, created by `migwatch import-opml`; see `migwatch init` for every key\n"
        existing = {}
    known = {feed_url_key(str(f.get("url", ""))) for f in existing.get("feeds", []) if isinstance(f, dict)}
    added = skipped = 0
    problems = []
    tables = []
    for i, feed in enumerate(opml_feeds):
        try:
            url = check_feed_url(feed.url, None)
            # Someone else's subscription list must not make us read local files.
            if not url.lower().startswith(("http://", "https://")):
                raise ValueError(f"{feed.url!r}: only http and https feeds are imported from OPML")
        except ValueError as exc:
            problems.append(f"outline {i + 1} ({feed.name}): {exc}")
            continue
        if feed_url_key(url) in known:
            skipped += 1
            continue
        known.add(feed_url_key(url))
        table = {"name": feed.name, "url": url, **({"tags": list(feed.tags)} if feed.tags else {})}
        tables.append(table)
        added += 1
    text = _with_feed_tables(original, tables)
    try:
        settings_from_dict(tomllib.loads(text.removeprefix("\ufeff")), path)
    except (ConfigError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{args.file}: the result would not be a valid config: {exc}") from None
    _write_atomically(path, text)
    for problem in problems:
        print(f"migwatch: {args.file}: skipped {one_line(problem, 300)}", file=sys.stderr)
    print(f"{path}: added {added} feeds ({skipped} already there, {len(problems)} skipped)")
    return 0


def _with_feed_tables(original: str, tables: list[dict[str, object]]) -> str:
    """The config with [[feeds]] tables added. Appended as text when the file's feeds are [[feeds]] tables
    (or there are none): the file stays as written, and 10,000 feeds take a blink instead of tomlkit's
    minute; a config that spells its feeds another way is edited through tomlkit."""
    import re

    if not tables:
        return original
    if re.search(r"^\s*feeds\s*=", original, re.MULTILINE) or re.search(r"^\s*\[\s*feeds\s*\]", original,
                                                                          re.MULTILINE):
        import tomlkit

        doc = tomlkit.parse(original)
        feeds = doc.get("feeds")
        if feeds is None:
            feeds = tomlkit.aot()
            doc["feeds"] = feeds
        for table in tables:
            feeds.append(table)
        return tomlkit.dumps(doc)
    parts = [original if original.endswith("\n") or not original else original + "\n"]
    for table in tables:
        parts.append("\n[[feeds]]\n")
        for key, value in table.items():
            parts.append(f"{key} = {_toml_value(value)}\n")
    return "".join(parts)


def _toml_value(value: object) -> str:
    """A TOML basic string (or an array of them): JSON's escapes are TOML's, but for DEL."""
    import json

    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def _write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename. A symlinked path is written through the
    link (the link stays a link), and an existing file keeps its permissions."""
    import stat
    import tempfile

    try:
        target = path.resolve() if path.is_symlink() else path
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        fd, tmp = tempfile.mkstemp(prefix=".migwatch-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fchmod(fh.fileno(), mode)
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None


def cmd_export_opml(args: argparse.Namespace) -> int:
    from feeds.opml import write_opml

    settings = _load_settings(args)
    data = write_opml(settings.feeds)
    if args.output:
        _write_atomically(Path(args.output).expanduser(), data.decode("utf-8"))
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


# ---------------------------------------------------------------------------------------------- export


def cmd_export(args: argparse.Namespace) -> int:
    from tui.export import export_dossier, export_rows, render

    if args.kind == "dossier" and not args.agreement:
        raise UsageError("export dossier: which agreement? (export dossier AGREEMENT --format md|json)")
    if args.kind != "dossier" and args.agreement:
        raise UsageError(f"export {args.kind}: unexpected argument {args.agreement!r}")
    if args.kind == "dossier" and args.format == "csv":
        raise UsageError("export dossier: --format md or json (a dossier is not one table)")
    settings = _load_settings(args, required=False)
    store = _open_store(_db_path(args, settings))
    try:
        if args.kind == "dossier":
            catalogue = {a.id: a for a in _catalogue_for(args)}
            known = catalogue.get(args.agreement)
            brief = export_dossier(store, args.agreement, known.timeline if known else (), args.format)
            if brief is None:
                raise UsageError(f"export dossier: no agreement {args.agreement!r} is known "
                                 "(the ids are in the Negotiations pane and `migwatch export negotiations`)")
            text = brief
        else:
            catalogue = None
            if args.kind == "stories":
                from feeds.agreements import load_catalogue

                catalogue = load_catalogue(settings.agreements if settings else ())
            text = render(args.kind, export_rows(store, args.kind, catalogue), args.format)
    finally:
        store.close()
    if args.output:
        _write_atomically(Path(args.output).expanduser(), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return 0


# ---------------------------------------------------------------------------------------------- feeds


def cmd_feeds(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    settings = _load_settings(args, required=False)
    _refuse_bad_keys(settings)  # the starter config names `migwatch feeds` as its check
    store = _open_store(_db_path(args, settings))
    try:
        configured = None
        if settings is not None:
            store.sync_feeds((f.url, f.name, f.tags) for f in settings.feeds)
            configured = store.resolve_feed_urls([f.url for f in settings.feeds])
        states = store.feed_states(configured)
        articles = store.article_counts()
        by_host = store.article_failures_by_host()
    finally:
        store.close()
    if not states:
        print("no feeds yet: add [[feeds]] to the config, then `migwatch poll --once`")
        return 0
    now = datetime.now(UTC)
    for st in states:
        print(feed_health_line(st, now))
    for line in article_health_lines(articles, by_host):
        print(line)
    return 0


def article_health_lines(counts: dict[str, int], by_host: Sequence[object]) -> list[str]:
    """What happened to the articles: counts by status, then the sites that gave none, worst first."""
    from feeds.text import one_line

    asked = {k: v for k, v in counts.items() if k != "skipped"}
    if not asked:
        return []
    order = ("ok", "pending", "blocked", "robots", "too-short", "not-html", "failed")
    parts = [f"{asked[k]:,} {'fetched' if k == 'ok' else k}" for k in order if asked.get(k)]
    lines = [f"articles: {', '.join(parts)}"]
    for row in by_host:
        last = f" — last: {one_line(row.last_error, 160)}" if row.last_error else ""  # type: ignore[attr-defined]
        lines.append(f"    {one_line(row.host, 80)}: {row.count:,} {row.status}{last}")  # type: ignore[attr-defined]
    return lines


def feed_health_line(st, now) -> str:  # type: ignore[no-untyped-def]
    """One line per feed: name, last result, error, next poll and why (shared with the dashboard)."""
    from feeds.fetch import is_file_url
    from feeds.text import one_line, plural

    result = st.last_result or "never polled"
    if st.last_error:
        # after a good fetch it is a note (items cut by the cap, a parser warning), not an error
        label = "" if result == "error" else "; note" if result == "ok" else "; error"
        result += f"{label}: {one_line(st.last_error, 200)}"
    if st.last_status and st.last_result not in ("", "ok") and f"HTTP {st.last_status}" not in (st.last_error or "") \
            and not is_file_url(st.url):  # a local file has no HTTP status to show
        result += f" (HTTP {st.last_status})"
    if st.retired:
        nxt = "never (retired)"
    elif st.next_poll_at is None:
        nxt = "in the next round"
    else:
        delta = (st.next_poll_at - now).total_seconds()
        nxt = "due now" if delta <= 0 else f"in {_human(delta)}"
    why = f" — {st.next_poll_why}" if st.next_poll_why else ""
    failures = f" ({plural(st.failures, 'failure')} in a row)" if st.failures else ""
    return (f"{one_line(st.name or st.url, 60)}  [{one_line(st.url, 2100)}]\n    {result}{failures}; next poll "
            f"{nxt}{why}")


def _human(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 86400}d{(seconds % 86400) // 3600}h"
