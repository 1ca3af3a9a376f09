"""The S3 wire primitives both sides share: errors, XML, checksums (and lanes that compute them beside the
event loop), SigV4 signing math, header codecs, documents.

Imported by ``gateway`` and ``storage_backends``; imports nothing of either (only the standard library, lxml, awscrt).
"""
