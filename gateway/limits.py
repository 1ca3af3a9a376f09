"""S3's size and count limits that handlers and request parsers enforce.

A leaf module (imports nothing from gateway); any module may import it.
"""

from __future__ import annotations

MAX_HEADER_SECTION = 8192  # a request's line and header lines, as "Name: value" + CRLF each
MAX_PUT_SIZE = 5 * 1024**3  # PutObject and PostObject
MAX_COPY_SIZE = 5 * 1024**3  # CopyObject's source
MAX_PART_SIZE = 5 * 1024**3  # UploadPart and UploadPartCopy
MAX_PARTS = 10000  # part numbers are 1..MAX_PARTS
MAX_DELETE_KEYS = 1000  # keys in one DeleteObjects
MAX_KEYS = 1000  # entries in one ListObjects / ListObjectVersions page
MAX_UPLOADS = 1000  # entries in one ListMultipartUploads page
MAX_LIST_PARTS = 1000  # entries in one ListParts / GetObjectAttributes page
MAX_BUCKETS = 10000  # entries in one ListBuckets page
