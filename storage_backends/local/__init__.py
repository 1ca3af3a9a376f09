"""The local-disk backend: blob files plus an SQLite metadata store."""
