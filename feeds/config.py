"""TOML config → typed, validated settings.

Every problem is a `ConfigError` whose message is one line naming the file and the key (and the line,
for syntax errors). Unknown keys are errors: a typo must not silently do nothing.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from feeds.models import Agreement

APP_NAME = "migwatch"

MIN_INTERVAL = 60.0  # seconds; polling a feed more often than once a minute is abuse
MAX_INTERVAL = 30 * 86400.0
MAX_CONCURRENCY = 256
MAX_TIMEOUT = 600.0
MAX_BODY = 1024**3  # a feed over a gigabyte is not a feed
FULL_TEXT_MODES = ("auto", "always", "never")
MAX_ARTICLE_DELAY = 3600.0
# Control characters (C0, DEL, C1), zero-width and bidi marks, line and paragraph separators and the BOM
# have no place in a name, a tag, a path or a URL: they hide or reorder what the user reads.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2069\ufeff]")


class ConfigError(Exception):
    """A config problem, already phrased as one line for the user."""


@dataclass(frozen=True, slots=True)
class FeedConfig:
    name: str
    url: str
    interval: float | None = None  # seconds; None: [poll] interval
    tags: tuple[str, ...] = ()
    full_text: str | None = None  # auto | always | never; None: [poll] full_text


@dataclass(frozen=True, slots=True)
class PollSettings:
    interval: float = 15 * 60.0
    concurrency: int = 16
    timeout: float = 20.0
    max_body: int = 16 * 1024 * 1024
    per_host: int = 3  # requests at once to one host: polite, and on one fast host also the cheapest
    # The article behind a story's link: "auto" fetches it when the feed gives only a short text and the
    # story looks like migration news, "always" for every story, "never" not at all (ANCHORS.md (e), (f)).
    full_text: str = "auto"
    article_delay: float = 1.0  # seconds between two article requests to one host
    article_timeout: float = 20.0  # each article request (robots.txt, the page, a redirect), not the wait
    article_max_body: int = 5 * 1024 * 1024  # a news page over 5 MB is not a news page
    proxy: str | None = None  # None: HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY; "": none; else a URL


@dataclass(frozen=True, slots=True)
class Settings:
    path: Path | None = None
    poll: PollSettings = field(default_factory=PollSettings)
    db_path: Path | None = None
    feeds: tuple[FeedConfig, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    keys: Mapping[str, str] = field(default_factory=dict)  # binding id → key(s)


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME) / "config.toml"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "migwatch.db"


_DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1000**3, "gib": 1024**3}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def parse_duration(value: object) -> float:
    """"15m", "20s", "1h30m", "2d" or a number of seconds → seconds. ValueError on anything else."""
    if isinstance(value, bool):
        raise ValueError("expected a duration like \"15m\" or \"20s\"")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError("is far too large a duration") from None
    elif isinstance(value, str):
        m = _DURATION.match(value)
        if not value.strip() or not m or not any(m.groups()):
            raise ValueError(f"{value!r} is not a duration (use e.g. \"15m\", \"20s\", \"1h30m\")")
        d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        seconds = d * 86400 + h * 3600 + mi * 60 + s
    else:
        raise ValueError("expected a duration like \"15m\" or \"20s\"")
    if seconds != seconds or seconds <= 0:  # NaN or not positive
        raise ValueError("must be a positive duration")
    if seconds == float("inf"):
        raise ValueError("is far too large a duration")
    return seconds


def parse_size(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a size like \"16MB\"")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        number = float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "").lower()]
        if not number <= MAX_BODY:  # also inf, from a few hundred digits
            raise ValueError("must be at most 1GiB")
        size = int(number)
    else:
        raise ValueError(f"{_show(value)} is not a size (use e.g. \"16MB\")")
    if size < 1024:
        raise ValueError("must be at least 1KB")
    if size > MAX_BODY:
        raise ValueError("must be at most 1GiB")
    return size


def check_feed_url(url: str, base: Path | None) -> str:
    """A feed URL: http(s), file://, or a plain path (made absolute against the config's folder)."""
    url = url.strip()
    if not url or _CONTROL.search(url):
        raise ValueError("is empty or has control, zero-width or bidi characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        _check_host_and_port(parts, repr(url))
        if " " in url:
            raise ValueError(f"{url!r} contains a space")
        return url
    if scheme == "file":
        if not parts.path:
            raise ValueError(f"{url!r} has no path")
        return url
    if scheme and len(scheme) > 1:  # "c:" is a drive letter, not a scheme
        raise ValueError(f"{url!r}: only http, https and file URLs (or a path) are supported")
    # A path must look like one: "not a url" or "example.org/rss" taken as a file name next to the config
    # would fail only at poll time, far from the typo.
    if not (url.startswith(("/", "./", "../", "~", ".\\", "..\\")) or (len(scheme) == 1 and url[1:2] == ":")):
        raise ValueError(f"{url!r} is neither an http(s) URL nor a path (a local file: an absolute path, "
                         "./feed.xml, ~/feed.xml or file:///…)")
    path = Path(url).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    return str(path)


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")


def check_proxy_url(url: str) -> str:
    """A proxy URL: http(s):// or socks5(h)://, a host, and a port."""
    url = url.strip()
    if any(ord(c) < 32 or c == "\x7f" or c.isspace() for c in url):
        raise ValueError("has spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in PROXY_SCHEMES:
        raise ValueError(f"{_show(url)}: a proxy is an http://, https:// or socks5:// URL")
    _check_host_and_port(parts, _show(url))
    return url


def _check_host_and_port(parts: SplitResult, shown: str) -> None:
    """A network URL names a host, and its port (if any) is a number in range."""
    if not parts.hostname:
        raise ValueError(f"{shown} has no host")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"{shown} has a bad port") from None


_LOOPBACK = {"localhost", "127.0.0.1", "::1", "localhost.localdomain"}


def feed_url_key(url: str) -> str:
    """What two feed URLs are compared by: the scheme and host in lower case, the default port, a
    trailing dot, the fragment (never sent) and repeated slashes aside, and every loopback name alike.
    `HTTP://Example.org//feed#top` and `http://example.org/feed` fetch the same feed."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").rstrip(".")
    if host in _LOOPBACK:
        host = "loopback"
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        port = 0
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    return f"{scheme}://{host}:{port}{path}" + (f"?{parts.query}" if parts.query else "")


_INTERVAL_RANGE = "must be between 1m and 30d (a bare number is seconds: write \"15m\")"


class _Reader:
    """Walks a parsed TOML table, naming file and key in every error."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def table(self, data: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                shown = key if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", key) else json.dumps(key)[:66]
                name = f"{where}.{shown}" if where else shown
                hint = ", ".join(sorted(allowed))
                import difflib

                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                meant = f"did you mean {close[0]}? " if close else ""
                raise self.error(name, f"unknown key ({meant}expected one of: {hint})")

    def get(self, data: Mapping[str, Any], where: str, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if key not in data:
            return default
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join(_type_name(k) for k in kinds)
            raise self.error(f"{where}.{key}" if where else key, f"expected {names}, got {_type_name(type(value))} {_show(value)}")
        return value

    def duration(self, data: Mapping[str, Any], where: str, key: str, default: float | None, low: float,
                 high: float, out_of_range: str) -> float:
        """A duration key ("15m", or seconds), parsed and kept within [low, high]."""
        name = f"{where}.{key}" if where else key
        try:
            seconds = parse_duration(self.get(data, where, key, (str, int, float), default))
        except ValueError as exc:
            raise self.error(name, str(exc)) from None
        if not low <= seconds <= high:
            raise self.error(name, out_of_range)
        return seconds

    def choice(self, data: Mapping[str, Any], where: str, key: str, choices: tuple[str, ...],
               default: str | None) -> Any:
        value = data.get(key, default)
        if value is not None and (not isinstance(value, str) or value not in choices):
            raise self.error(f"{where}.{key}" if where else key,
                             f"must be one of {', '.join(repr(c) for c in choices)}, got {_show(value)}")
        return value

    def strings(self, data: Mapping[str, Any], where: str, key: str) -> tuple[str, ...]:
        value = self.get(data, where, key, (list, str), [])
        if isinstance(value, str):
            value = [value]
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"{where}.{key}", f"expected a list of non-empty strings, got {_show(item)}")
            self.printable(f"{where}.{key}", item)
        return tuple(s.strip() for s in value)

    def printable(self, key: str, value: str) -> str:
        if _CONTROL.search(value):
            raise self.error(key, f"contains a control, zero-width or bidi character: {_show(value)}")
        return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true/false", list: "a list",
            dict: "a table"}.get(kind, kind.__name__)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def load_config(path: Path) -> Settings:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (create one with `migwatch init`)") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is not content
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    except RecursionError:  # tomllib recurses once per level of [ or {
        raise ConfigError(f"{path}: arrays or tables nested too deeply") from None
    return settings_from_dict(data, path)


def settings_from_dict(data: Mapping[str, Any], path: Path) -> Settings:
    r = _Reader(path)
    r.table(data, "", {"poll", "store", "feeds", "agreements", "keys"})
    base = path.parent.resolve() if path else None

    poll_data = r.get(data, "", "poll", dict, {})
    r.table(poll_data, "poll", {"interval", "concurrency", "timeout", "max_body", "per_host", "full_text",
                                "article_delay", "article_timeout", "article_max_body", "proxy"})
    poll = PollSettings()
    interval = r.duration(poll_data, "poll", "interval", poll.interval, MIN_INTERVAL, MAX_INTERVAL, _INTERVAL_RANGE)
    timeout = r.duration(poll_data, "poll", "timeout", poll.timeout, 1, MAX_TIMEOUT, "must be between 1s and 10m")
    concurrency = r.get(poll_data, "poll", "concurrency", int, poll.concurrency)
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise r.error("poll.concurrency", f"must be between 1 and {MAX_CONCURRENCY}, got {concurrency}")
    per_host = r.get(poll_data, "poll", "per_host", int, poll.per_host)
    if not 1 <= per_host <= MAX_CONCURRENCY:
        raise r.error("poll.per_host", f"must be between 1 and {MAX_CONCURRENCY}, got {per_host}")
    try:
        max_body = parse_size(r.get(poll_data, "poll", "max_body", (str, int), poll.max_body))
    except ValueError as exc:
        raise r.error("poll.max_body", str(exc)) from None
    full_text = r.choice(poll_data, "poll", "full_text", FULL_TEXT_MODES, poll.full_text)
    article_delay = r.get(poll_data, "poll", "article_delay", (int, float, str), poll.article_delay)
    if isinstance(article_delay, str):
        try:
            article_delay = parse_duration(article_delay)
        except ValueError as exc:
            raise r.error("poll.article_delay", str(exc)) from None
    if isinstance(article_delay, bool) or not 0 <= article_delay <= MAX_ARTICLE_DELAY:
        raise r.error("poll.article_delay", f"must be between 0 and {MAX_ARTICLE_DELAY:g} seconds, "
                      f"got {_show(article_delay)}")
    article_timeout = r.duration(poll_data, "poll", "article_timeout", poll.article_timeout, 1, MAX_TIMEOUT,
                                 "must be between 1s and 10m")
    try:
        article_max_body = parse_size(r.get(poll_data, "poll", "article_max_body", (str, int),
                                            poll.article_max_body))
    except ValueError as exc:
        raise r.error("poll.article_max_body", str(exc)) from None
    proxy = r.get(poll_data, "poll", "proxy", str, None)
    if proxy:
        try:
            proxy = check_proxy_url(proxy)
        except ValueError as exc:
            raise r.error("poll.proxy", str(exc)) from None
    poll = PollSettings(interval=interval, concurrency=concurrency, timeout=timeout, max_body=max_body,
                        per_host=per_host, full_text=full_text, article_delay=float(article_delay),
                        article_timeout=article_timeout, article_max_body=article_max_body, proxy=proxy)

    store_data = r.get(data, "", "store", dict, {})
    r.table(store_data, "store", {"path"})
    db_path = None
    if "path" in store_data:
        db_text = r.get(store_data, "store", "path", str)
        if not db_text.strip():
            raise r.error("store.path", "must not be empty")
        r.printable("store.path", db_text)
        db_path = Path(db_text).expanduser()
        if not db_path.is_absolute() and base is not None:
            db_path = base / db_path

    feeds: list[FeedConfig] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(r.get(data, "", "feeds", list, [])):
        where = f"feeds[{i}]"
        if not isinstance(item, dict):
            raise r.error(where, "each [[feeds]] entry must be a table")
        r.table(item, where, {"name", "url", "interval", "tags", "full_text"})
        url_text = r.get(item, where, "url", str)
        if url_text is None:
            raise r.error(f"{where}.url", "missing (every feed needs a url)")
        try:
            url = check_feed_url(url_text, base)
        except ValueError as exc:
            raise r.error(f"{where}.url", str(exc)) from None
        key = feed_url_key(url)
        if key in seen:
            first = seen[key]
            raise r.error(f"{where}.url", f"{_show(url)} is the same feed as feeds[{first}].url "
                                          f"{_show(feeds[first].url)}: remove one of them")
        seen[key] = i
        name = r.printable(f"{where}.name", r.get(item, where, "name", str, "")) or url
        feed_interval = None
        if "interval" in item:
            feed_interval = r.duration(item, where, "interval", None, MIN_INTERVAL, MAX_INTERVAL, _INTERVAL_RANGE)
        feeds.append(FeedConfig(name=name.strip(), url=url, interval=feed_interval,
                                tags=r.strings(item, where, "tags"),
                                full_text=r.choice(item, where, "full_text", FULL_TEXT_MODES, None)))

    agreements: list[Agreement] = []
    for i, item in enumerate(r.get(data, "", "agreements", list, [])):
        where = f"agreements[{i}]"
        if not isinstance(item, dict):
            raise r.error(where, "each [[agreements]] entry must be a table")
        r.table(item, where, {"id", "title", "parties", "aliases", "keywords"})
        agreement_id = r.get(item, where, "id", str)
        if agreement_id is None or not _ID.match(agreement_id):
            raise r.error(f"{where}.id", "needs an id of lowercase letters, digits and dashes, like \"uk-rwanda\"")
        parties = r.strings(item, where, "parties")
        if not parties:
            raise r.error(f"{where}.parties", "needs at least one party, like [\"UK\", \"Rwanda\"]")
        agreements.append(Agreement(
            id=agreement_id, title=r.printable(f"{where}.title", r.get(item, where, "title", str, agreement_id)),
            parties=parties,
            aliases=r.strings(item, where, "aliases"), keywords=r.strings(item, where, "keywords"), bundled=False,
        ))

    keys_data = r.get(data, "", "keys", dict, {})
    keys: dict[str, str] = {}
    for binding_id, key in keys_data.items():
        if not isinstance(key, str) or not key.strip() or _CONTROL.search(key):
            raise r.error(f"keys.{_show(binding_id)}", "expected a key name like \"ctrl+s\" or \"j,down\"")
        keys[binding_id] = key.strip()

    return Settings(path=path, poll=poll, db_path=db_path, feeds=tuple(feeds), agreements=tuple(agreements),
                    keys=keys)


STARTER_CONFIG = '''\
# migwatch config. Durations: "90s", "15m", "1h". Every key is optional except each feed's url.
# Every key is described in the README's "Config" section. Check this file with `migwatch feeds`.

[poll]
interval = "15m"      # how often each feed is polled, unless the feed sets its own
concurrency = 16      # feeds fetched at once
per_host = 3          # requests at once to any one host
timeout = "20s"       # a whole request, connect to last byte
# max_body = "16MB"   # larger responses are cut off and recorded as errors
# Most news feeds carry a headline and a sentence; the facts are in the article behind the link.
full_text = "auto"    # auto: fetch the article when the feed text is short and the story looks like
                      # migration news; "always"; "never" (each feed may set its own full_text)
article_delay = 1     # seconds between two article requests to one site (robots.txt is honoured)
# article_timeout = "20s"     # each article request (robots.txt, the page, a redirect)
# article_max_body = "5MB"    # larger pages are not read
# proxy = "socks5h://127.0.0.1:9050"   # default: HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY; "" for none

[store]
# path = "~/migwatch.db"   # default: the XDG data dir

# Feeds: RSS or Atom, http(s), file:// or a local path. Add more, or `migwatch import-opml FILE`.
# (UNHCR publishes no public feed: its news pages answer 403 to feed readers.)
[[feeds]]
name = "The Guardian: Immigration and asylum"
url = "https://www.theguardian.com/uk/immigration/rss"
tags = ["uk"]

[[feeds]]
name = "Al Jazeera"
url = "https://www.aljazeera.com/xml/rss/all.xml"
interval = "30m"

[[feeds]]
name = "InfoMigrants"
url = "https://www.infomigrants.net/en/rss/all.xml"
tags = ["eu"]

[[feeds]]
name = "The New Humanitarian"
url = "https://www.thenewhumanitarian.org/rss.xml"

[[feeds]]
name = "Human Rights Watch news"
url = "https://www.hrw.org/rss/news"
tags = ["ngo"]
full_text = "never"   # HRW's feed carries the whole article

[[feeds]]
name = "Amnesty International news"
url = "https://www.amnesty.org/en/feed/"
tags = ["ngo"]

# Agreements of your own are matched like the bundled ones (uk-rwanda, us-el-salvador, italy-albania, …).
# [[agreements]]
# id = "uk-albania"
# title = "UK–Albania returns arrangement"
# parties = ["United Kingdom", "Albania"]
# aliases = ["return hubs"]
# keywords = ["returns agreement"]

# Remap keys by binding id (see `?` in the dashboard), e.g.:
# [keys]
# "triage.star" = "S"
'''
