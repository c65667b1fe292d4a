"""The sandbox's test cards: what a customer picks in the portal, or types in the hosted
checkout, in the sandbox (only the brand and the last four digits are stored; with a real
processor its hosted page collects real cards, and Kassa never sees their numbers). Each stands
for one simulated behaviour of ``kassa.payments.sandbox``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    key: str
    brand: str
    number: str  # what the hosted checkout's card form takes
    behavior: str
    says: str  # what happens when it is charged

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def label(self) -> str:
        return f"{self.brand} ending {self.last4}"

    def method(self, *, default: bool) -> dict[str, object]:
        """The ``POST /customers/{id}/payment-methods`` body that adds it."""
        return {"type": "card", "details": {"brand": self.brand, "last4": self.last4,
                                            "exp": "12/34"},
                "test_behavior": self.behavior, "default": default}


TEST_CARDS = (
    TestCard("visa_succeeds", "Visa", "4242424242424242", "succeed", "Payments succeed"),
    TestCard("visa_declined", "Visa", "4000000000000002", "decline",
             "Every payment is declined"),
    TestCard("visa_declined_once", "Visa", "4000000000000341", "decline_once",
             "The first payment is declined, later ones succeed"),
)
BY_KEY = {card.key: card for card in TEST_CARDS}
BY_NUMBER = {card.number: card for card in TEST_CARDS}
