"""pytest fixtures for the market (owned by its engineer)."""
