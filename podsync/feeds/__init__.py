"""Podcast feeds: the HTTP client, feed parsing, OPML, and the import from gPodder."""
