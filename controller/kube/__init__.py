"""Thin Kubernetes I/O on kubernetes-asyncio: client construction and one module per resource kind."""
