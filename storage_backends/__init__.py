"""Where bytes and metadata live: ``base`` is the protocol the gateway calls, ``loader`` picks a backend.

Imports nothing of ``gateway`` but its wire layer (``gateway.wire``); the gateway imports ``base`` and ``loader``.
"""
