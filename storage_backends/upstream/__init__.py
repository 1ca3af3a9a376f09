"""The upstream backend: every operation forwarded to another S3 endpoint, bodies streamed both ways.

``client`` signs and sends requests (SigV4 with the upstream's own credentials), ``errors`` turns
upstream failures into the same ``S3Error``, ``metadata_headers`` translates headers, ``documents``
turns the listings parsed by ``gateway.wire.documents`` into storage types,
``bodies`` frames request bodies, and ``backend`` implements ``storage_backends.base.Backend``.
"""
