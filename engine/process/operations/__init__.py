"""The implementations behind the service-task whitelist, one module per procedure."""
