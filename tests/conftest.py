"""Shared pytest set-up: fixture plugins live in tests/plugins/, one module per area."""

pytest_plugins = ["tests.plugins.chain", "tests.plugins.cpu", "tests.plugins.market"]
