"""`migwatch analyze` as a user runs it: JSON Lines in, JSON Lines out, exit 2 naming a bad line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.analyze import InputError, analyze_jsonl

STORIES = [
    {
        "id": "a1", "title": "Rwanda presses Britain for money over scrapped asylum plan",
        "published": "2025-06-02T08:00:00+00:00",
        "text": (
            "Rwanda is pressing Britain for £50m (about $67m) it says it is owed under the abandoned scheme to "
            "send asylum seekers to Kigali.\n"
            "The deal was declared unlawful by the UK Supreme Court and the Labour government scrapped it in "
            "2023, ministers said.\n"
            "Amnesty International warned that people sent to Rwanda risked being returned to countries where "
            "they faced persecution. Rwanda has dismissed the allegations."
        ),
    },
    {"id": "a2", "title": None, "text": "Net migration to the UK fell sharply last year, official figures show."},
    {"id": 3, "text": "Caf\u00e9 owners in Kigali said tourism was up. \u0007Nothing to do with migration."},
]


def run_cli(stdin: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop("MIGWATCH_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", "analyze", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=120,
    )


def lines(rows: list[object]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_analyze_stdin(tmp_path: Path) -> None:
    run = run_cli(lines(STORIES) + "\n   \n", "-", tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [row["id"] for row in out] == ["a1", "a2", "3"]
    first = out[0]
    assert first["agreements"] == ["uk-rwanda"]
    assert first["stage"] == {"uk-rwanda": "cancelled"}
    (payment,) = first["payments"]
    assert (payment["amount"], payment["currency"], payment["payer"], payment["payee"]) == (
        50_000_000, "GBP", "United Kingdom", "Rwanda")
    assert payment["status"] in ("owed", "claimed")
    assert payment["kind"] == "total"
    start, end = payment["evidence_span"]
    assert STORIES[0]["text"][start:end] == payment["evidence"]  # type: ignore[index]
    (warning,) = first["rights_warnings"]
    assert warning["by"] == "Amnesty International" and warning["denied_by"] == "Rwanda"
    assert "refoulement" in warning["concern"]
    (conflict,) = first["conflicts"]
    assert conflict["agreement"] == "uk-rwanda" and conflict["claim"] == "cancelled in 2023"
    assert all(row["cluster"] for row in out)
    assert out[1]["agreements"] == [] and out[1]["payments"] == []
    assert out[2]["agreements"] == []


def test_analyze_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(lines(STORIES[:1]), encoding="utf-8")
    run = run_cli("", str(path), tmp_path=tmp_path)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["id"] == "a1"


def test_same_event_shares_a_cluster(tmp_path: Path) -> None:
    retold = dict(STORIES[0], id="a1-copy", title="Kigali still wants its £50m from London")
    run = run_cli(lines([STORIES[0], STORIES[1], retold]), tmp_path=tmp_path)
    out = {row["id"]: row["cluster"] for row in map(json.loads, run.stdout.splitlines())}
    assert out["a1-copy"] == out["a1"] != out["a2"]


@pytest.mark.parametrize("bad,message", [
    ("{not json", "line 3: not valid JSON"),
    ("[1, 2]", "line 3: not a JSON object"),
    ('{"title": "no id", "text": "x"}', 'line 3: missing "id"'),
    ('{"id": "x", "title": "no text"}', 'line 3: missing "text"'),
])
def test_malformed_line_exits_2_naming_the_line(tmp_path: Path, bad: str, message: str) -> None:
    stdin = lines(STORIES[:1]) + "\n" + bad + "\n" + lines(STORIES[1:2])
    run = run_cli(stdin, "-", tmp_path=tmp_path)
    assert run.returncode == 2
    assert run.stdout == ""
    assert message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_invalid_utf8_is_analysed_not_rejected(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    raw = b'{"id": "bytes", "title": "x", "text": "Rwanda \xff\xfe asylum"}\n'
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", "analyze", "-"],
        input=raw, capture_output=True, env=env, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["id"] == "bytes"


def test_analyze_jsonl_in_process() -> None:
    rows = list(analyze_jsonl(iter([json.dumps(STORIES[0]) + "\n", "\n"])))
    assert rows[0]["agreements"] == ["uk-rwanda"]
    with pytest.raises(InputError, match="line 2: not valid JSON"):
        list(analyze_jsonl(iter(["\n", "oops\n"])))


def test_a_story_that_says_no_stage_gets_the_timelines_marked_as_such() -> None:
    from feeds.analyze import analyze_jsonl

    row = {"id": "s1", "title": "", "published": "2024-03-01",
           "text": "Auditors examined the Home Office's asylum partnership with Kigali and its costs to the "
                   "taxpayer, the spending watchdog said."}
    [out] = list(analyze_jsonl([json.dumps(row)]))
    assert out["agreements"] == ["uk-rwanda"]
    assert out["stage"] == {"uk-rwanda": "signed"}
    assert out["stage_from_timeline"] == {"uk-rwanda": "signed"}
    assert out["stage_events"] == []


def test_an_article_is_read_and_every_evidence_names_its_source() -> None:
    from feeds.analyze import analyze_jsonl

    summary = "Italy has paid Albania €16m for the two migrant centres it runs there."
    article = ("<p>" + summary + "</p><p>Rights groups say the men held at the centres have no access to "
               "lawyers.</p>")
    row = {"id": "a1", "title": "Italy pays Albania for migrant centres", "text": summary, "article": article}
    [out] = list(analyze_jsonl([json.dumps(row)]))
    assert out["agreements"] == ["italy-albania"]
    [payment] = out["payments"]
    assert payment["evidence_source"] == "article"  # the article repeats the summary: its sentence wins
    [warning] = out["rights_warnings"]
    assert warning["by"] == "rights groups" and warning["evidence_source"] == "article"
    for key in ("matches", "stage_events"):
        assert all(row["evidence_source"] in ("headline", "feed", "article") for row in out[key])


def test_a_headline_fact_indexes_the_title() -> None:
    from feeds.analyze import analyze_jsonl

    title = "EU signs €210m migration deal with Mauritania"
    [out] = list(analyze_jsonl([json.dumps({"id": "h1", "title": title, "text": ""})]))
    [payment] = out["payments"]
    assert payment["evidence_source"] == "headline"
    start, end = payment["evidence_span"]
    assert title[start:end] == payment["evidence"]


def test_an_article_that_is_not_text_is_refused() -> None:
    from feeds.analyze import InputError, analyze_jsonl

    with pytest.raises(InputError, match="line 1"):
        list(analyze_jsonl([json.dumps({"id": "x", "text": "t", "article": ["no"]})]))


def test_a_reader_that_goes_away_is_no_error() -> None:
    """`migwatch analyze … | head -1`: the pipe closes early; no traceback, exit 0, as any Unix filter."""
    lines = "".join(json.dumps({"id": f"s{i}", "title": "UK paid Rwanda £1m under the asylum deal",
                                "text": "The Home Office paid Rwanda £1m under the migration deal. " * 20}) + "\n"
                    for i in range(3000))
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", "analyze", "-"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(lines.encode())
    proc.stdin.close()
    assert proc.stdout.readline().startswith(b'{"id": "s0"')
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
