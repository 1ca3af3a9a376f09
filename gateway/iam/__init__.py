"""The IAM API (a subset) and STS GetCallerIdentity, served on the S3 endpoint.

Requests signed for service ``iam`` or ``sts`` (form-encoded ``POST /``, or ``GET /?Action=...``)
reach :class:`gateway.iam.door.IamDoor`: ``signing`` verifies them, ``actions`` names each
action's handler (``users``, ``groups``, ``policies``), ``view`` is an account's users and groups
(users-file and API-made alike), ``errors`` renders IAM's error document.
"""
