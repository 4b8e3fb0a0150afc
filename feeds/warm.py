"""Imported by the poller's fork server (never by the main process): builds, once, what every worker
needs, so forked workers start ready."""

from __future__ import annotations

import feedparser  # noqa: F401 - loaded here so that no worker pays for it

from feeds.agreements import default_catalogue
from feeds.analyze import Analyzer
from feeds.models import Story

ANALYZER = Analyzer(default_catalogue())
# One analysis compiles every lazy pattern and loads the clustering library.
ANALYZER.analyze(Story("warm-up", "Deportation deal", "The UK paid Rwanda £1m under the deportation deal."))
