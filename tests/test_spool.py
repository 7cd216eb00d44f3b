"""The spool: values a scan needs only at its end, kept on disk and read back per list in the order they came."""

from __future__ import annotations

import pytest

from policyscan.spool import BATCH, Spool


def test_lists_come_back_in_order_and_floats_exactly():
    spool = Spool()
    n = BATCH + 123  # more than one batch reaches the disk
    for i in range(n):
        spool.add("score", ("Lindenhoek", "Brugwaarde")[i % 2], "culture", i / 3)
    spool.add("risk", "Lindenhoek", "risk", '{"text": "Vrijwilligers <vullen> gaten"}')
    assert list(spool.values("score", "Lindenhoek", "culture")) == [i / 3 for i in range(0, n, 2)]
    assert list(spool.values("score", "Brugwaarde", "culture")) == [i / 3 for i in range(1, n, 2)]
    assert list(spool.values("risk", "Lindenhoek", "risk")) == ['{"text": "Vrijwilligers <vullen> gaten"}']
    assert list(spool.values("score", "Groenvliet", "culture")) == []
    spool.close()


def test_adding_after_reading_is_refused():
    spool = Spool()
    spool.add("score", "Lindenhoek", "sport", 0.5)
    assert list(spool.values("score", "Lindenhoek", "sport")) == [0.5]
    with pytest.raises(RuntimeError, match="add every value before reading"):
        spool.add("score", "Lindenhoek", "sport", 0.7)
    spool.close()
