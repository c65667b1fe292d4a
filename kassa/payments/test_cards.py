"""The sandbox's test cards: what a customer picks in the portal or the hosted checkout instead
of typing a card number (Kassa never sees card numbers; with a real processor its hosted page
collects them). Each stands for one simulated behaviour of ``kassa.payments.sandbox``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    key: str
    brand: str
    last4: str
    behavior: str
    says: str  # what happens when it is charged

    @property
    def label(self) -> str:
        return f"{self.brand} ending {self.last4}"

    def method(self, *, default: bool) -> dict[str, object]:
        """The ``POST /customers/{id}/payment-methods`` body that adds it."""
        return {"type": "card", "details": {"brand": self.brand, "last4": self.last4,
                                            "exp": "12/34"},
                "test_behavior": self.behavior, "default": default}


TEST_CARDS = (
    TestCard("visa_succeeds", "Visa", "4242", "succeed", "Payments succeed"),
    TestCard("visa_declined", "Visa", "0002", "decline", "Every payment is declined"),
    TestCard("mastercard_declined_once", "Mastercard", "9995", "decline_once",
             "The first payment is declined, later ones succeed"),
)
BY_KEY = {card.key: card for card in TEST_CARDS}
