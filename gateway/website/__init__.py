"""The static website endpoint: a front door of its own, on ``--website-port``, as AWS serves website
endpoints apart from the REST API.

``door`` lists its steps (the bucket from the Host, GET/HEAD only, the anonymous caller, serve; then
CORS, send, observe), ``serving`` answers a request from the bucket's WebsiteConfiguration (index and
error documents, redirects), ``routing`` holds the pure rules (which rule applies, where it points),
``pages`` renders errors as S3's HTML pages. Every object it reads is authorized exactly as an anonymous
REST GetObject of that key, so a website never serves what an anonymous REST request could not read.
"""
