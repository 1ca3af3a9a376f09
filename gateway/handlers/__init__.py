"""Operation handlers, one module per family; only ``gateway.operations`` (the table) imports them.

Handler modules never import one another: request parsing lives in ``gateway.params``, XML
fragments several of them render in ``gateway.render``, size and count limits in ``gateway.limits``.
"""
