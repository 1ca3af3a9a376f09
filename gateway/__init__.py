"""s3gate's S3 protocol layer (HTTP, SigV4, XML). Storage lives in ``storage_backends``."""

__version__ = "0.1.0"
