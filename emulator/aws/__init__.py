"""AWS service integrations: what a uri asks of which service, where that service answers, and as whom.

Only ``targets`` is imported when a deployment is built; ``protocols`` and ``signing`` import botocore,
which a configuration without service integrations never loads.
"""
