"""S3's XML documents, one small module per family, each with its render and its parse side.

The server parses what clients send and renders what it answers; the upstream backend renders
what it sends another S3 and parses its answers: both use these functions, so a document's
shape exists once. Renders return an element (``xml.render`` gives AWS's exact bytes); parses
take a parsed element and raise the S3Error codes the server answers for a bad request
(``MalformedXML``...). S3 policy checks (tag limits, key rules) stay with the server.
"""
