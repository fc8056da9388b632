"""pytest fixtures for the chain (owned by its engineer)."""
