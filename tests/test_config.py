"""Bad config: one line on stderr naming the file and key, exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feeds.config import ConfigError, load_config, parse_duration
from tui.cli import main


def run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})


BAD = {
    "syntax": ('[poll]\ninterval = "15m\n', ["TOML syntax error", "line 2"]),
    "unknown key": ('[poll]\nintervall = "15m"\n', ["poll.intervall", "unknown key"]),
    "wrong type": ('[poll]\nconcurrency = "lots"\n', ["poll.concurrency", "expected an integer"]),
    "bad url": ('[[feeds]]\nname = "x"\nurl = "gopher://example.org/feed"\n', ["feeds[0].url", "only http"]),
    "bad duration": ('[poll]\ninterval = "15 parsecs"\n', ["poll.interval", "not a duration"]),
    "negative interval": ('[poll]\ninterval = -5\n', ["poll.interval", "positive"]),
    "absurd concurrency": ('[poll]\nconcurrency = 100000\n', ["poll.concurrency", "between 1 and"]),
    "feed without url": ('[[feeds]]\nname = "x"\n', ["feeds[0].url", "missing"]),
    "unknown top-level": ('[polling]\ninterval = "1m"\n', ["polling", "unknown key"]),
    "feed interval": ('[[feeds]]\nurl = "http://127.0.0.1/x"\ninterval = "1s"\n', ["feeds[0].interval"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_one_line_exit_2(case: str, tmp_path: Path, capsys) -> None:
    text, needles = BAD[case]
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["--config", str(path), "feeds"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert str(path) in err
    for needle in needles:
        assert needle in err


def test_missing_config_file_in_a_subprocess_has_no_traceback(tmp_path: Path) -> None:
    proc = run(["--config", str(tmp_path / "nope.toml"), "poll", "--once"], tmp_path)
    assert proc.returncode == 2
    assert "nope.toml" in proc.stderr and "not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1


def test_syntax_error_in_a_subprocess_names_line(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[poll]\n\ninterval = = 3\n', encoding="utf-8")
    proc = run(["--config", str(path), "feeds"], tmp_path)
    assert proc.returncode == 2
    assert "line 3" in proc.stderr and "Traceback" not in proc.stderr


def test_env_var_overrides_default(tmp_path: Path, monkeypatch, capsys) -> None:
    path = tmp_path / "env.toml"
    path.write_text('[poll]\nbogus = 1\n', encoding="utf-8")
    monkeypatch.setenv("MIGWATCH_CONFIG", str(path))
    assert main(["feeds"]) == 2
    assert "env.toml: poll.bogus" in capsys.readouterr().err


def test_good_config_loads_typed_values(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('''
[poll]
interval = "1h30m"
concurrency = 4
timeout = "20s"
[store]
path = "data/m.db"
[[feeds]]
name = "Local"
url = "./feeds/local.xml"
tags = ["a", "b"]
interval = "2h"
[[agreements]]
id = "uk-albania"
title = "UK-Albania returns"
parties = ["United Kingdom", "Albania"]
aliases = ["return hubs"]
[keys]
"triage.star" = "S"
''', encoding="utf-8")
    s = load_config(path)
    assert s.poll.interval == 5400 and s.poll.concurrency == 4 and s.poll.timeout == 20
    assert s.db_path == tmp_path / "data" / "m.db"
    assert s.feeds[0].url == str(tmp_path / "feeds" / "local.xml")
    assert s.feeds[0].tags == ("a", "b") and s.feeds[0].interval == 7200
    assert s.agreements[0].id == "uk-albania" and not s.agreements[0].bundled
    assert s.keys == {"triage.star": "S"}


def test_init_writes_a_valid_starter_and_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    path = tmp_path / "new" / "config.toml"
    assert main(["init", str(path)]) == 0
    settings = load_config(path)
    assert len(settings.feeds) >= 5
    assert all(f.url.startswith("https://") for f in settings.feeds)
    assert "#" in path.read_text()
    before = path.read_text()
    assert main(["init", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == before


@pytest.mark.parametrize("text", ["15m", "20s", "1h", "1h30m", "2d", 90, 1.5])
def test_durations(text) -> None:
    assert parse_duration(text) > 0


@pytest.mark.parametrize("text", ["", "m", "15x", "-3m", 0, True, "1e9q", [1]])
def test_bad_durations(text) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_config_error_is_not_a_traceback_for_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"\xff\xfe[poll]\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path)


@pytest.mark.parametrize(("argv", "prog"), [
    (["poll", "--bogus"], "migwatch poll"),
    (["--bogus"], "migwatch"),
    (["export", "nope"], "migwatch export"),
])
def test_a_command_line_mistake_is_one_line_and_exit_2(argv: list[str], prog: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(prog + ":") and "--help" in err


@pytest.mark.parametrize("db", ["", "   ", "{tmp}/no-such-folder/m.db"])
def test_a_database_path_in_a_missing_folder_or_empty_is_refused(db: str, tmp_path: Path) -> None:
    """A typo in --db must not create a folder and an empty database somewhere, nor fall back to the default."""
    config = tmp_path / "c.toml"
    config.write_text('[[feeds]]\nurl = "http://127.0.0.1:9/f.xml"\n', encoding="utf-8")
    proc = run(["--config", str(config), "--db", db.format(tmp=tmp_path), "feeds"], tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "--db" in proc.stderr
    assert not (tmp_path / "no-such-folder").exists()


def test_a_local_file_feed_error_has_no_http_status(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from feeds.models import FeedState
    from tui.cli import feed_health_line

    now = datetime(2025, 3, 14, tzinfo=UTC)
    local = FeedState(url=(tmp_path / "f.xml").as_uri(), last_status=200, last_result="error",
                      last_error="not a feed: an HTML page, not RSS or Atom")
    web = FeedState(url="http://127.0.0.1:9/f.xml", last_status=200, last_result="error",
                    last_error="not a feed: an HTML page, not RSS or Atom")
    assert "HTTP" not in feed_health_line(local, now)
    assert "(HTTP 200)" in feed_health_line(web, now)
