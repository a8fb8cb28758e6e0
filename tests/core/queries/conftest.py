"""The dashboard's fake world, seeded into each kind of test database."""

from __future__ import annotations

import pytest

from demo import small as world


@pytest.fixture
def seeded(sessions):
    """The session factory of a database holding the world."""
    with sessions.begin() as session:
        world.seed(session)
    return sessions
