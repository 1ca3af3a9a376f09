"""The upstream backend: every operation forwarded to another S3 endpoint, bodies streamed both ways.

``client`` signs and sends requests (SigV4 with the upstream's own credentials), ``errors`` turns
upstream failures into the same ``S3Error``, ``wire`` and ``documents`` translate headers and XML,
``bodies`` frames request bodies, and ``backend`` implements ``storage_backends.base.Backend``.
"""
