"""After an erasure the ledger keeps the product's own reasons and loses every other."""

from __future__ import annotations

import pytest

from core import messages
from core.privacy import keeps_reason


@pytest.mark.parametrize(
    "reason",
    [
        messages.LEDGER_WELCOME,
        messages.LEDGER_HELD,
        messages.LEDGER_SPENT.format(cost=4),
        messages.LEDGER_BOUGHT.format(credits=50, name="starter"),
        messages.LEDGER_REFUNDED.format(credits=20),
        messages.LEDGER_CANCELLED,
        messages.LEDGER_ERASED,
        messages.LEDGER_GONE,
    ],
)
def test_the_products_own_reasons_are_kept(reason: str) -> None:
    assert keeps_reason(reason)


@pytest.mark.parametrize(
    "reason",
    ["operator grant", "a gift for Alice Quux", "spent: the 4 held for the job, said Bo", ""],
)
def test_free_text_goes(reason: str) -> None:
    assert not keeps_reason(reason)
