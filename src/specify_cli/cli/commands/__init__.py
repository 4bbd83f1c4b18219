"""One module per command group; each declares its commands with their capability."""
