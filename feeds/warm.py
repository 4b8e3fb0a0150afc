"""Imported by the poller's fork server (never by the main process): builds, once, what every worker
needs, so forked workers start ready.

feedparser is not among it: well-formed RSS and Atom never reach it (see `feeds.parse`), and a worker that
meets a feed that needs it imports it then."""

from __future__ import annotations

from feeds.agreements import default_catalogue
from feeds.analyze import Analyzer
from feeds.models import Story
from feeds.understand.lexicon import kinds, lexicon, rules
from feeds.understand.warnings import grammar

# Every rules file read and compiled, and the attribution grammar built, before the fork.
for _kind in kinds():
    rules(_kind)
lexicon()
grammar()
ANALYZER = Analyzer(default_catalogue())
# One analysis compiles every lazy pattern and loads the clustering library.
ANALYZER.analyze(Story("warm-up", "Deportation deal", "The UK paid Rwanda £1m under the deportation deal. "
                       "Rights groups said the men were denied lawyers."))
