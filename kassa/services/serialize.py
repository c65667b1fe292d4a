"""How values look in API responses and event payloads: the formats live with the response
models in ``kassa.resources.serialize`` (the renderer applies them); services import them here."""

from kassa.resources.serialize import iso_date, money, rfc3339

__all__ = ["iso_date", "money", "rfc3339"]
