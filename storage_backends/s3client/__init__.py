"""The signed S3 client: SigV4 with our own credentials, streaming bodies, S3 errors as ``S3Error``.

Shared by the upstream backend and future replication and import code; imports only the wire layer.
"""
