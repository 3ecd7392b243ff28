"""Exporters: the model written in the formats AWS deploys from, OpenAPI with API Gateway's extensions and SAM.

Loaders build the model (``emulator.config``); exporters only read it, so what a definition's
conveniences compiled to is exported as AWS stores it. Each exporter returns plain data (``dict``,
``list``, ``str``, ``int``, ``bool``) that ``writing`` turns into YAML or JSON.
"""
