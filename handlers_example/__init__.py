"""Example Lambda handlers behind the example API in ``config/apig.yaml``."""
