"""Event notifications (issue 14): bucket configurations, AWS-shaped messages, the outbox dispatcher and
the brokers it delivers to (``targets/``, one module per URL scheme)."""
