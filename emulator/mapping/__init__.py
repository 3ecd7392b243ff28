"""The mapping layer of non-proxy integrations: what API Gateway does to a payload between client and backend."""
