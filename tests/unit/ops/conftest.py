"""Fixtures shared by the ops service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.ops_helpers import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local webhook receiver (alerts land in it), closed after the test."""
    r = Receiver()
    yield r
    r.close()
