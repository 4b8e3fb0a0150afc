"""Same event from several outlets → one cluster; other events about the same agreement → not."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from feeds.analyze import Analyzer
from feeds.cluster import Clusterer, fingerprint, pick_cluster, same_event
from feeds.models import Analysis, Story

ORIGINAL = Story(
    id="wire-1", title="Uganda says it will take deportees from the US",
    published=datetime(2025, 8, 20, 9, tzinfo=UTC),
    text=(
        "Uganda's foreign ministry said on Wednesday it had agreed to accept migrants deported from the "
        "United States who cannot be sent home, in a deal that rights groups say lacks safeguards.\n"
        "\"The agreement is temporary and covers people who are not criminals,\" permanent secretary "
        "Vincent Bagiire Waiswa said in a statement posted in Kampala.\n"
        "Bagiire said the arrangement would prioritise Africans and that details were still being worked "
        "out with Washington. The ministry gave no figure for how many people Uganda would receive.\n"
        "The Trump administration has sent deportees to South Sudan and Eswatini in recent weeks."
    ),
)
REWRITE = Story(
    id="blog-7", title="Kampala confirms US deportation pact",
    published=datetime(2025, 8, 20, 17, tzinfo=UTC),
    text=(
        "Officials in Kampala have confirmed an arrangement under which Uganda will host people removed "
        "from America who cannot return to their own countries.\n"
        "In a written statement, Vincent Bagiire Waiswa, the ministry's permanent secretary, described it "
        "as temporary: \"The agreement is temporary and covers people who are not criminals.\"\n"
        "According to Bagiire, Africans would be prioritised while the finer points are settled with "
        "Washington; he did not say how many deportees are expected."
    ),
)
OTHER_EVENT = Story(
    id="wire-9", title="First deportees from the US arrive in Uganda",
    published=datetime(2025, 9, 1, 8, tzinfo=UTC),
    text=(
        "Seven people deported from the United States landed at Entebbe on Friday, the first arrivals "
        "under Uganda's arrangement with Washington, police spokesman Kituuma Rusoke said.\n"
        "\"They are being processed and will be housed in Kampala,\" Rusoke told reporters at the airport.\n"
        "Lawyers for two of the men said they had been given no chance to challenge their removal."
    ),
)
COPY = Story(id="mirror-1", title=ORIGINAL.title, text=ORIGINAL.text + "\nCopyright the wire.",
             published=ORIGINAL.published)


@pytest.fixture(scope="module")
def fps() -> dict[str, bytes]:
    analyzer = Analyzer()
    return {s.id: analyzer.analyze(s).fingerprint for s in (ORIGINAL, REWRITE, OTHER_EVENT, COPY)}


def test_fingerprint_is_compact_and_deterministic(fps: dict[str, bytes]) -> None:
    assert 0 < len(fps["wire-1"]) < 1500
    again = Analyzer().analyze(ORIGINAL).fingerprint
    assert again == fps["wire-1"]


def test_fingerprint_is_stable_across_processes(fps: dict[str, bytes]) -> None:
    code = (
        "import sys; sys.path.insert(0, 'tests'); from test_cluster import ORIGINAL;"
        "from feeds.analyze import Analyzer; sys.stdout.write(Analyzer().analyze(ORIGINAL).fingerprint.hex())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "123"})
    assert bytes.fromhex(out.stdout) == fps["wire-1"]


def test_copy_and_rewrite_are_the_same_event(fps: dict[str, bytes]) -> None:
    assert same_event(fps["wire-1"], fps["mirror-1"])
    assert same_event(fps["wire-1"], fps["blog-7"])
    assert same_event(fps["blog-7"], fps["wire-1"])


def test_another_event_on_the_same_agreement_is_not(fps: dict[str, bytes]) -> None:
    assert not same_event(fps["wire-1"], fps["wire-9"])
    assert not same_event(fps["blog-7"], fps["wire-9"])


def test_garbage_fingerprints_are_never_the_same() -> None:
    assert not same_event(b"", b"")
    assert not same_event(b"MW1\x40", b"nonsense")


def test_clusterer_batch(fps: dict[str, bytes]) -> None:
    clusterer = Clusterer()
    ids = [clusterer.assign(s.id, fps[s.id], s.published) for s in (ORIGINAL, OTHER_EVENT, REWRITE, COPY)]
    assert ids == ["wire-1", "wire-9", "wire-1", "wire-1"]


def test_clusterer_respects_time_window(fps: dict[str, bytes]) -> None:
    clusterer = Clusterer(window=timedelta(days=2))
    clusterer.assign("wire-1", fps["wire-1"], ORIGINAL.published)
    later = ORIGINAL.published + timedelta(days=30)  # type: ignore[operator]
    assert clusterer.assign("blog-7", fps["blog-7"], later) == "blog-7"


def test_clusterer_grows_past_its_first_block() -> None:
    clusterer = Clusterer()
    empty = fingerprint(Story(id="x", title="", text=""), Analysis(story_id="x"))
    for n in range(600):
        clusterer.assign(f"s{n}", empty, None)
    assert clusterer.assign("copy", fingerprint(ORIGINAL, Analyzer().analyze(ORIGINAL)), None) == "copy"


def test_pick_cluster(fps: dict[str, bytes]) -> None:
    candidates = [("c-other", fps["wire-9"]), ("c-uganda", fps["wire-1"])]
    assert pick_cluster(fps["blog-7"], candidates) == "c-uganda"
    assert pick_cluster(fps["blog-7"], [("c-other", fps["wire-9"])]) is None
    assert pick_cluster(fps["blog-7"], []) is None


def test_clusterer_does_not_chain_neighbours_into_one_event() -> None:
    """A is like B and B is like C, but A and C share little: C is compared with the cluster's first story
    (A), so a run of loosely similar stories does not gather into one ever-growing "event"."""
    sentences = [f"Sentence {n} about the Rwanda deportation deal names minister Name{n} and {n}0 people."
                 for n in range(12)]
    a_text = " ".join(sentences[0:8])
    b_text = " ".join(sentences[4:12])   # half of A
    c_text = " ".join(sentences[8:12] + [s.replace("Sentence", "Line") for s in sentences[0:4]])
    analyzer = Analyzer()
    when = datetime(2025, 3, 1, tzinfo=UTC)
    fp = {}
    for sid, text in (("a", a_text), ("b", b_text), ("c", c_text)):
        story = Story(id=sid, title="UK and Rwanda deportation deal", text=text, published=when)
        fp[sid] = analyzer.analyze(story).fingerprint
    assert same_event(fp["a"], fp["b"]) and same_event(fp["b"], fp["c"]) and not same_event(fp["a"], fp["c"])
    clusterer = Clusterer()
    assert [clusterer.assign(s, fp[s], when) for s in ("a", "b", "c")] == ["a", "a", "c"]
