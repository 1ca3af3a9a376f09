"""The local-disk backend: blob files, and metadata through ``storage_backends.catalog``.

Only ``storage_backends.loader`` (and tests) import it; it reaches SQL only through the catalog.
"""
