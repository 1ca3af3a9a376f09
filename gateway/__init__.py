"""s3gate's S3 protocol layer: front doors, the request pipeline, authentication, the operation table, handlers.

Nothing imports ``gateway`` but its own modules, the CLI entry point and tests; ``storage_backends`` may import
only its wire layer, ``gateway.wire``.
"""

__version__ = "0.1.0"
