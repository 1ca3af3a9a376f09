"""The metadata catalog: buckets, versions, blobs, uploads, settings and leases behind one interface.

Only ``storage_backends.local`` (and bench/tests) may import it; its SQL stays inside this package.
"""
