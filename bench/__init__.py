"""Side-by-side benchmark of s3gate against moto, s3rver and nginx (``python -m bench``)."""
