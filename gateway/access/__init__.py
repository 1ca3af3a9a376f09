"""AWS's access-policy language and S3's authorization decision, as pure functions.

``policy`` parses and validates policy documents once into precompiled statements, ``conditions``
and ``matching`` hold the condition operators, wildcards and policy variables, ``evaluate`` decides
a request (IAM's evaluation logic and S3's bucket/ACL rules). No HTTP and no storage here: the
request pipeline and the IAM API import this package, it imports at most ``gateway.wire``.
"""
