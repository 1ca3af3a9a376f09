"""Operation handlers, one module per family; ``gateway.operations`` maps requests to them.

Handler modules never import one another: request parsing lives in ``gateway.params``, XML
fragments several of them render in ``gateway.render``, size and count limits in ``gateway.limits``.
"""
