"""API Gateway's mapping layer: JSONPath, Velocity templates and the variables they read."""
