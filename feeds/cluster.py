"""Stories that report the same event from several outlets share a cluster.

A rewrite shares few word shingles with its original, so a fingerprint holds two things: a MinHash of
word 3-shingles (datasketch), which catches copies and light edits, and a set of hashed "event
entities" (rare names, numbers, sums, agreements), which catches paraphrases: the same minister, the
same £50m, the same agreements. Two stories about the same agreement but different events share the
agreement and the country names (which are not entities here) and little else.

Fingerprints are compact bytes so the store can keep one per story:

    b"MW1" | num_perm (1 byte) | num_perm × uint32 | n_agreements (1) | × uint32 | n_entities (2) | × uint32
          | n_quote (1) | n_quote × uint32      (a MinHash of the quotations' shingles; 0 when none)

Outlets rewrite the narrative but keep the quotes, so the quotations get a signature of their own.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.agreements import COUNTRIES
from feeds.models import Analysis, Story

NUM_PERM = 64
QUOTE_PERM = 32
_QUOTE = re.compile(r"[“\"]([^”\"\n]{12,}?)[”\"]|‘([^’\n]{12,}?)’(?!\w)")
_MAGIC = b"MW1"
_MAX_ENTITIES = 200
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_CAPITALISED = re.compile(r"(?<![.!?“\"‘]\s)(?<!^)\b([A-Z][\w’'-]{2,}(?:\s+[A-Z][\w’'-]+)*)")
_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d{2,}\b")
# Names so common in these stories that sharing them says nothing about sharing an event.
_COMMON = frozenset(
    w.lower()
    for w in (
        "The This That These Those It He She They We His Her Their Its In On At For From With After Before "
        "But And Or If When While As By Of To A An Since Last Next Monday Tuesday Wednesday Thursday Friday "
        "Saturday Sunday January February March April May June July August September October November "
        "December President Prime Minister Minister Government Foreign Home Office Secretary Court Supreme "
        "United Nations States Kingdom European Union Commission Council Reuters AP AFP News Agency Said "
        "According However Meanwhile Also Under Over Despite Mr Mrs Ms Dr Some Many Other Others More Most "
        "Trump Administration Migration Migrants Asylum Refugees Human Rights Deal Agreement".split()
    )
)
_COUNTRY_WORDS = frozenset(
    w.lower() for forms, _ in COUNTRIES.values() for form in forms for w in form.split()
) | frozenset(w.lower() for name in COUNTRIES for w in name.split())


# zlib.crc32 is unsigned 32-bit and stable across processes (unlike hash()); passed to datasketch as is,
# a C function, since it is called once per shingle.
_hash32 = zlib.crc32


def _shingles(text: str) -> list[bytes]:
    found = _WORD.findall(text)
    # one lower-casing and one encoding for the lot instead of two calls a word (words hold no spaces)
    words = " ".join(found).lower().encode().split(b" ") if found else []
    if len(words) < 3:
        return [b" ".join(words)] if words else []
    return [b" ".join(three) for three in zip(words, words[1:], words[2:], strict=False)]


# _CAPITALISED's look-behinds keep `re` from skipping ahead to capitals; this scans for them and the
# checks it made before a capital are done here instead (same names found).
_CAPITAL_RUN = re.compile(r"[A-Z][\w’'-]{2,}(?:\s+[A-Z][\w’'-]+)*")


def _capitalised(text: str) -> Iterable[str]:
    pos = 0
    search = _CAPITAL_RUN.search
    while True:
        m = search(text, pos)
        if m is None:
            return
        s = m.start()
        before = text[s - 1] if s else ""
        if s == 0 or before.isalnum() or before == "_" or (
            s >= 2 and before.isspace() and text[s - 2] in ".!?“\"‘"
        ):
            pos = s + 1
            continue
        yield m.group(0)
        pos = m.end()


def _entities(story: Story, analysis: Analysis) -> tuple[set[int], set[int]]:
    text = f"{story.title}\n{story.text}"
    entities: set[str] = set()
    words = {word for run in _capitalised(text) for word in run.split()}  # each name once
    for word in words:
        low = word.lower().strip("’'")
        if len(low) > 2 and low not in _COMMON and low not in _COUNTRY_WORDS:
            entities.add("n:" + low)
    for number in set(_NUMBER.findall(text)):
        entities.add("d:" + number.replace(",", ""))
    for payment in analysis.payments:
        if payment.amount:
            entities.add(f"p:{payment.currency}:{round(payment.amount / 1e5)}")
    for warning in analysis.warnings:
        entities.add("w:" + warning.by.lower())
    agreements = {_hash32(m.agreement_id.encode()) for m in analysis.matches if m.main}
    hashed = {_hash32(e.encode()) for e in entities}
    if len(hashed) > _MAX_ENTITIES:
        hashed = set(sorted(hashed)[:_MAX_ENTITIES])
    return agreements, hashed


def _minhash_class():  # type: ignore[no-untyped-def]
    """datasketch's MinHash without the rest of datasketch. The package's __init__ imports its LSH indexes,
    which import scipy: half a second of CPU in every process that fingerprints, a poller's workers included.
    When datasketch is not imported yet, its package is registered without running that __init__ and only
    `datasketch.minhash` (numpy and hashlib) is loaded."""
    if _MINHASH:
        return _MINHASH[0]
    import sys

    if "datasketch" not in sys.modules:
        import importlib.util

        spec = importlib.util.find_spec("datasketch")
        if spec is not None and spec.submodule_search_locations is not None:
            sys.modules["datasketch"] = importlib.util.module_from_spec(spec)
    from datasketch.minhash import MinHash

    _MINHASH.append(MinHash)
    return MinHash


_MINHASH: list[Any] = []  # the class, once imported (looked up once a story otherwise)
_PERMUTATIONS: dict[tuple[int, int], tuple[Any, str | None]] = {}


def _minhash(num_perm: int, seed: int):  # type: ignore[no-untyped-def]
    """A fresh MinHash; its random permutations are drawn once per process, not once per story."""
    MinHash = _minhash_class()  # noqa: N806 - lazy: `migwatch poll` starts without numpy

    key = (num_perm, seed)
    cached = _PERMUTATIONS.get(key)
    if cached is None:
        first = MinHash(num_perm=num_perm, seed=seed, hashfunc=zlib.crc32)
        _PERMUTATIONS[key] = (first.permutations, getattr(first, "scheme", None))
        return first
    permutations, scheme = cached
    if scheme is None:  # datasketch < 2 has no schemes
        return MinHash(num_perm=num_perm, seed=seed, hashfunc=zlib.crc32, permutations=permutations)
    return MinHash(num_perm=num_perm, seed=seed, hashfunc=zlib.crc32, permutations=permutations, scheme=scheme)


def fingerprint(story: Story, analysis: Analysis) -> bytes:
    """A compact summary of the story for `same_event`; cheap to compute, a few hundred bytes."""
    shingles = _shingles(f"{story.title}\n{story.text}")
    minhash = _minhash(NUM_PERM, 1)
    if shingles:
        minhash.update_batch(shingles)
    agreements, entities = _entities(story, analysis)
    quoted = [q for m in _QUOTE.finditer(story.text) for q in _shingles(m.group(1) or m.group(2) or "")]
    quote_values: tuple[int, ...] = ()
    if quoted:
        quote_hash = _minhash(QUOTE_PERM, 2)
        quote_hash.update_batch(quoted)
        quote_values = tuple(int(v) & 0xFFFFFFFF for v in quote_hash.hashvalues)
    return b"".join((
        _MAGIC,
        struct.pack("<B", NUM_PERM),
        struct.pack(f"<{NUM_PERM}I", *(int(v) & 0xFFFFFFFF for v in minhash.hashvalues)),
        struct.pack("<B", len(agreements)),
        struct.pack(f"<{len(agreements)}I", *sorted(agreements)),
        struct.pack("<H", len(entities)),
        struct.pack(f"<{len(entities)}I", *sorted(entities)),
        struct.pack("<B", len(quote_values)),
        struct.pack(f"<{len(quote_values)}I", *quote_values),
    ))


def _unpack(fp: bytes) -> tuple[tuple[int, ...], frozenset[int], frozenset[int], tuple[int, ...]] | None:
    if len(fp) < 5 or not fp.startswith(_MAGIC):
        return None
    try:
        (k,) = struct.unpack_from("<B", fp, 3)
        offset = 4
        sig = struct.unpack_from(f"<{k}I", fp, offset)
        offset += 4 * k
        (na,) = struct.unpack_from("<B", fp, offset)
        offset += 1
        agreements = frozenset(struct.unpack_from(f"<{na}I", fp, offset))
        offset += 4 * na
        (ne,) = struct.unpack_from("<H", fp, offset)
        offset += 2
        entities = frozenset(struct.unpack_from(f"<{ne}I", fp, offset))
        offset += 4 * ne
        (nq,) = struct.unpack_from("<B", fp, offset)
        quotes = struct.unpack_from(f"<{nq}I", fp, offset + 1)
    except struct.error:
        return None
    return sig, agreements, entities, quotes


# Thresholds, measured on stories and their rewrites: a copy keeps most shingles; a paraphrase keeps
# few shingles but a third or more of its rare names and numbers.
COPY_JACCARD = 0.5
SHARED_QUOTES = 0.2
PARAPHRASE_ENTITIES = 0.35
PARAPHRASE_SHINGLES = 0.05


def similarity(fp_a: bytes, fp_b: bytes) -> tuple[float, float, bool, float]:
    """(shingle Jaccard estimate, entity Jaccard, whether they share an agreement, quote Jaccard)."""
    a, b = _unpack(fp_a), _unpack(fp_b)
    if a is None or b is None or len(a[0]) != len(b[0]) or not a[0]:
        return 0.0, 0.0, False, 0.0
    shingles = sum(x == y for x, y in zip(a[0], b[0], strict=True)) / len(a[0])
    union = len(a[2] | b[2])
    entities = len(a[2] & b[2]) / union if union else 0.0
    quotes = 0.0
    if a[3] and len(a[3]) == len(b[3]):
        quotes = sum(x == y for x, y in zip(a[3], b[3], strict=True)) / len(a[3])
    return shingles, entities, bool(a[1] & b[1]), quotes


def _score(fp_a: bytes, fp_b: bytes) -> float:
    return _score_of(*similarity(fp_a, fp_b))


def _score_of(shingles: float, entities: float, shared: bool, quotes: float) -> float:
    if shingles >= COPY_JACCARD:
        return 1.0 + shingles
    if not shared:
        return 0.0
    # The same quotation in two stories about the same agreement: the same event, retold.
    if quotes >= SHARED_QUOTES and (entities >= 0.03 or shingles >= 0.03):
        return quotes + entities + shingles
    if entities >= PARAPHRASE_ENTITIES and shingles >= PARAPHRASE_SHINGLES:
        return entities + shingles
    return 0.0


def same_event(fp_a: bytes, fp_b: bytes) -> bool:
    """Whether two fingerprints look like the same story (a copy, or a rewrite of the same event)."""
    return _score(fp_a, fp_b) > 0.0


def pick_cluster(fp: bytes, candidates: Iterable[tuple[str, bytes]]) -> str | None:
    """The cluster of the most similar candidate (cluster id, fingerprint) that reports the same event."""
    best: tuple[float, str] | None = None
    for cluster_id, other in candidates:
        score = _score(fp, other)
        if score > 0.0 and (best is None or score > best[0]):
            best = (score, cluster_id)
    return best[1] if best else None


class Clusterer:
    """Assigns cluster ids within one batch; a new cluster is named after its first story.

    A story joins a cluster when it reports the same event as the cluster's first story: comparing with
    every member instead lets a chain of near neighbours (A like B, B like C, …) gather a whole week of
    loosely similar stories into one "event". Each story is compared with every cluster's first story in
    the time window at once, the signatures kept in numpy arrays; only the few that pass the cheap tests
    are unpacked in full.
    """

    def __init__(self, window: timedelta = timedelta(days=4)) -> None:
        import numpy as np  # lazy, like datasketch: only batches and the pipeline cluster

        self._np = np
        self.window = window.total_seconds()
        self._size = 0
        self._sigs = np.zeros((256, NUM_PERM), dtype=np.uint32)
        self._quotes = np.zeros((256, QUOTE_PERM), dtype=np.uint32)
        self._has_quotes = np.zeros(256, dtype=bool)
        self._times = np.full(256, np.nan)
        self._agreements = np.zeros(256, dtype=np.uint64)
        self._founder = np.zeros(256, dtype=bool)  # the story that opened its cluster
        self._fps: list[bytes] = []
        self._unpacked: list[tuple[tuple[int, ...], frozenset[int], frozenset[int], tuple[int, ...]] | None] = []
        self._clusters: list[str] = []

    def _grow(self) -> None:
        np = self._np
        n = len(self._times) * 2
        self._sigs = np.resize(self._sigs, (n, NUM_PERM))
        self._quotes = np.resize(self._quotes, (n, QUOTE_PERM))
        self._has_quotes = np.resize(self._has_quotes, n)
        self._times = np.resize(self._times, n)
        self._agreements = np.resize(self._agreements, n)
        self._founder = np.resize(self._founder, n)

    def assign(self, story_id: str, fp: bytes, published: datetime | None = None, *,
               known_cluster: str | None = None) -> str:
        """The cluster of this story; `known_cluster` seeds the batch with a story clustered before."""
        np = self._np
        unpacked = _unpack(fp)
        when = _aware(published).timestamp() if published is not None else np.nan
        cluster_id = known_cluster or story_id
        if known_cluster is None and unpacked is not None and len(unpacked[0]) == NUM_PERM and self._size:
            n = self._size
            sig = np.asarray(unpacked[0], dtype=np.uint32)
            shingles = np.count_nonzero(self._sigs[:n] == sig, axis=1) / NUM_PERM
            mask = np.bitwise_and(self._agreements[:n], np.uint64(_agreement_bits(unpacked[1]))) != 0
            if len(unpacked[3]) == QUOTE_PERM:
                quotes = np.count_nonzero(self._quotes[:n] == np.asarray(unpacked[3], dtype=np.uint32), axis=1) / QUOTE_PERM
                quotes = np.where(self._has_quotes[:n], quotes, 0.0)
            else:
                quotes = np.zeros(n)
            maybe = (shingles >= COPY_JACCARD) | (
                mask & ((quotes >= SHARED_QUOTES) | (shingles >= PARAPHRASE_SHINGLES))
            )
            maybe &= self._founder[:n]
            if not np.isnan(when):
                times = self._times[:n]
                maybe &= np.isnan(times) | (np.abs(times - when) <= self.window)
            picked = np.flatnonzero(maybe)
            if len(picked) > 8:
                # only the closest few are worth unpacking in full
                closeness = shingles[picked] + quotes[picked]
                picked = picked[np.argsort(-closeness)[:8]]
            # the same scores as pick_cluster, from the comparisons already made here and the stored sets
            best: tuple[float, str] | None = None
            for k in picked:
                other = self._unpacked[k]
                if other is None:
                    continue
                union = len(unpacked[2] | other[2])
                entities = len(unpacked[2] & other[2]) / union if union else 0.0
                score = _score_of(float(shingles[k]), entities, bool(unpacked[1] & other[1]), float(quotes[k]))
                if score > 0.0 and (best is None or score > best[0]):
                    best = (score, self._clusters[k])
            cluster_id = best[1] if best else story_id
        if self._size == len(self._times):
            self._grow()
        k = self._size
        if unpacked is not None and len(unpacked[0]) == NUM_PERM:
            self._sigs[k] = unpacked[0]
            self._agreements[k] = _agreement_bits(unpacked[1])
            if len(unpacked[3]) == QUOTE_PERM:
                self._quotes[k] = unpacked[3]
                self._has_quotes[k] = True
            else:
                self._has_quotes[k] = False
        else:
            self._sigs[k] = 0
            self._agreements[k] = 0
            self._has_quotes[k] = False
        self._times[k] = when
        self._founder[k] = cluster_id == story_id
        self._fps.append(fp)
        self._unpacked.append(unpacked if unpacked is not None and len(unpacked[0]) == NUM_PERM else None)
        self._clusters.append(cluster_id)
        self._size += 1
        return cluster_id


def _agreement_bits(hashes: frozenset[int]) -> int:
    """Agreements folded into 64 bits: a shared bit may be a collision, which pick_cluster then rules out."""
    bits = 0
    for h in hashes:
        bits |= 1 << (h % 64)
    return bits


def _aware(when: datetime) -> datetime:

    return when if when.tzinfo else when.replace(tzinfo=UTC)
