"""The live-server test harness: s3gate/moto processes, boto3 clients, raw signed HTTP, shared assertions and payloads.

``tests/conftest.py`` builds its fixtures on it, and ``bench/`` imports it to run the same servers."""
