"""Where bytes and metadata live. ``base`` is the protocol the gateway calls; backends implement it."""
