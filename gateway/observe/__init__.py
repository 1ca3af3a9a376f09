"""Watching the gateway: one :class:`~gateway.observe.record.RequestRecord` per finished request, handed to
the observers a door was built with (metrics, the access log, bucket access logging, usage accounting)."""
