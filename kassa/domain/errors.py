"""One exception tree for everything Kassa refuses or cannot find.

    KassaError
    ├── NotFound                  the object does not exist (in this environment)
    ├── Unauthorized              no valid API key
    ├── Forbidden                 not allowed in this environment
    ├── Conflict                  the request collides with another one or with state
    ├── TooManyAttempts           refused for a while after repeated failures (sign-in)
    ├── Gone                      a single-use or expiring link that was used or expired
    ├── Unavailable               something this needs is not installed on the machine
    └── InvalidRequest            the request is well-formed but makes no sense
        ├── CurrencyMismatch      arithmetic across two currencies
        ├── InvalidExpression     a pricing expression that cannot be compiled or evaluated
        └── InvalidTransition     a lifecycle step that the current status does not allow

The class docstring is the default message. The API maps the tree to HTTP statuses in exactly
one place (``kassa.api.errors``, whose statuses the dashboard's error pages show too); the
domain knows nothing about HTTP.
"""

from __future__ import annotations


class KassaError(Exception):
    """Something went wrong."""

    def __init__(self, detail: str | None = None, *, field: str | None = None) -> None:
        self.detail = detail or (type(self).__doc__ or "Error.").strip().splitlines()[0]
        self.field = field
        super().__init__(self.detail)


class NotFound(KassaError):
    """The requested object was not found."""


class Unauthorized(KassaError):
    """A valid API key is required: send 'Authorization: Bearer <key>'."""


class Forbidden(KassaError):
    """This operation is not allowed in this environment."""


class Conflict(KassaError):
    """The request conflicts with the current state."""


class TooManyAttempts(KassaError):
    """Too many failed attempts; try again later."""

    def __init__(self, detail: str | None = None, *, retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after  # seconds


class Gone(KassaError):
    """This link was already used or has expired."""


class Unavailable(KassaError):
    """Something this request needs is not installed on this machine."""


class InvalidRequest(KassaError):
    """The request is invalid."""


class CurrencyMismatch(InvalidRequest):
    """Amounts in different currencies cannot be combined."""


class InvalidExpression(InvalidRequest):
    """The pricing expression is invalid."""


class InvalidTransition(InvalidRequest):
    """This change is not allowed in the object's current status."""
