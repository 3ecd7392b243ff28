"""The OpenAPI importer: an api of the YAML bound to an OpenAPI 3 or Swagger 2.0 document (``openapi: FILE``).

``binding.Documents`` is what ``emulator.config.assemble`` uses; docs/architecture.md maps the modules.
"""
