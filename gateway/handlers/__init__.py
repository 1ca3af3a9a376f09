"""Operation handlers, one module per family; ``gateway.operations`` maps requests to them."""
