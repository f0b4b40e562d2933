"""Media stores: the feed, the local cache and a player share one small interface."""

from podsync.stores.base import MediaStore, ReadOnlyStoreError, Transfer

__all__ = ["MediaStore", "ReadOnlyStoreError", "Transfer"]
