"""The Textual dashboard and the `migwatch` command line."""

from feeds.version import __version__

__all__ = ["__version__"]
