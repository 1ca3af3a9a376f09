"""S3's XML documents, one small module per family, each with its render and its parse side.

The server parses what clients send and renders what it answers; the upstream backend renders
what it sends another S3 and parses its answers: both use these functions, so a document's
shape exists once. Renders return an element (``xml.render`` gives AWS's exact bytes), except the
big object listings (``listing``), written as text for speed, which return the bytes; parses take a
parsed element and raise the S3Error codes the server answers for a bad request (``MalformedXML``...).
Renders take plain values: owners' display names are resolved by the caller (the wire layer knows no
users). S3 policy checks (tag limits, key rules) stay with the server. Each document has a golden file
in ``tests/unit/golden``.
"""
