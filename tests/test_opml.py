"""OPML round trip through import-opml and export-opml, and hostile OPML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from feeds.config import load_config
from tui.cli import main

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Rights &amp; Refugees" title="Rights &amp; Refugees" type="rss" xmlUrl="https://example.org/rights.xml"/>
    <outline text="Courts">
      <outline text="Court News" title="Court News" type="rss" xmlUrl="https://example.org/courts.xml"/>
    </outline>
    <outline text="Wire" type="rss" xmlUrl="https://example.org/wire.xml"/>
  </body>
</opml>
"""


def test_round_trip_keeps_folders_names_and_comments(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# my own comment, keep me\n[poll]\ninterval = "30m"  # and me\n', encoding="utf-8")
    opml = tmp_path / "in.opml"
    opml.write_text(OPML, encoding="utf-8")
    assert main(["--config", str(config), "import-opml", str(opml)]) == 0
    text = config.read_text()
    assert "# my own comment, keep me" in text and "# and me" in text
    settings = load_config(config)
    by_url = {f.url: f for f in settings.feeds}
    assert set(by_url) == {"https://example.org/rights.xml", "https://example.org/courts.xml",
                           "https://example.org/wire.xml"}
    assert by_url["https://example.org/rights.xml"].name == "Rights & Refugees"
    assert by_url["https://example.org/courts.xml"].tags == ("Courts",)
    capsys.readouterr()

    # importing again adds nothing
    assert main(["--config", str(config), "import-opml", str(opml)]) == 0
    assert len(load_config(config).feeds) == 3
    capsys.readouterr()

    assert main(["--config", str(config), "export-opml"]) == 0
    out = capsys.readouterr().out
    root = ET.fromstring(out.encode())
    outlines = {o.get("xmlUrl"): o for o in root.iter("outline") if o.get("xmlUrl")}
    assert outlines["https://example.org/rights.xml"].get("title") == "Rights & Refugees"
    assert "&amp;" in out  # escaped in the file, literal once parsed
    folder = next(o for o in root.iter("outline") if o.get("text") == "Courts" and not o.get("xmlUrl"))
    assert [o.get("xmlUrl") for o in folder] == ["https://example.org/courts.xml"]

    # and the export imports into a fresh config with the same feeds
    exported = tmp_path / "out.opml"
    exported.write_text(out, encoding="utf-8")
    fresh = tmp_path / "fresh.toml"
    assert main(["--config", str(fresh), "import-opml", str(exported)]) == 0
    again = {(f.name, f.url, f.tags) for f in load_config(fresh).feeds}
    assert again == {(f.name, f.url, f.tags) for f in load_config(config).feeds}


def test_entity_bomb_is_refused_and_nothing_written(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[poll]\ninterval = "30m"\n', encoding="utf-8")
    bomb = tmp_path / "bomb.opml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
                    '<opml version="2.0"><body><outline text="&lol2;" xmlUrl="https://e.org/x"/></body></opml>')
    before = config.read_text()
    assert main(["--config", str(config), "import-opml", str(bomb)]) == 2
    err = capsys.readouterr().err
    assert "bomb.opml" in err and "entity" in err and err.count("\n") == 1
    assert config.read_text() == before


def test_broken_opml_is_one_line(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    for name, text in {"broken.opml": "<opml><body><outline", "html.opml": "<html><body>hi</body></html>",
                       "nobody.opml": '<opml version="2.0"><head/></opml>'}.items():
        path = tmp_path / name
        path.write_text(text)
        assert main(["--config", str(config), "import-opml", str(path)]) == 2
        err = capsys.readouterr().err
        assert name in err and err.count("\n") == 1
    assert not config.exists()


def test_outlines_without_url_or_with_bad_url_are_skipped(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    path = tmp_path / "odd.opml"
    path.write_text('<opml version="2.0"><body><outline text="no url"/>'
                    '<outline text="bad" xmlUrl="javascript:alert(1)"/>'
                    '<outline text="good" xmlUrl="https://e.org/good.xml"/></body></opml>')
    assert main(["--config", str(config), "import-opml", str(path)]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err
    assert [f.url for f in load_config(config).feeds] == ["https://e.org/good.xml"]


def test_opml_cannot_add_local_files(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    path = tmp_path / "local.opml"
    path.write_text('<opml version="2.0"><body><outline text="passwd" xmlUrl="file:///etc/passwd"/>'
                    '<outline text="rel" xmlUrl="../secret.xml"/>'
                    '<outline text="ok" xmlUrl="https://e.org/ok.xml"/></body></opml>')
    assert main(["--config", str(config), "import-opml", str(path)]) == 0
    assert "only http and https" in capsys.readouterr().err
    assert [f.url for f in load_config(config).feeds] == ["https://e.org/ok.xml"]


def test_categories_round_trip_as_tags(tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.toml"
    path = tmp_path / "cats.opml"
    path.write_text('<opml version="2.0"><body><outline text="Courts"><outline text="c" '
                    'xmlUrl="https://e.org/c.xml" category="Nested,/ECHR"/></outline></body></opml>')
    assert main(["--config", str(config), "import-opml", str(path)]) == 0
    assert load_config(config).feeds[0].tags == ("Courts", "Nested", "ECHR")
    capsys.readouterr()
    assert main(["--config", str(config), "export-opml", "-o", str(tmp_path / "out.opml")]) == 0
    fresh = tmp_path / "fresh.toml"
    assert main(["--config", str(fresh), "import-opml", str(tmp_path / "out.opml")]) == 0
    assert load_config(fresh).feeds[0].tags == ("Courts", "Nested", "ECHR")
