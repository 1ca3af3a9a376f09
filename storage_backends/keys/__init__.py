"""SSE key providers: the local master key and the KMS key ids declared beside it, and SSE-C keys."""
