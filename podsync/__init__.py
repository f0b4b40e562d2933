"""podsync: keep portable media players filled with podcasts."""

__version__ = "0.1.0"
