"""A local fake of the Stripe API endpoints Kassa uses, served on a real loopback port.

It follows Stripe's documented wire format: form-encoded requests with bracketed keys
(``metadata[kassa_invoice_id]=...``, ``payment_method_types[0]=card``), JSON objects with
``id``/``object`` and integer amounts in the currency's smallest unit, errors as
``{"error": {"type", "code", "decline_code", "message", "payment_intent"}}`` with HTTP 402 for a
card error and 400 for an invalid request, ``Idempotency-Key`` (the same key and parameters
replay the first response with ``Idempotent-Replayed: true`` and charge nothing again; the same
key with other parameters is a 400 ``idempotency_error``), and webhook events signed as Stripe
signs them (``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">``).

Endpoints: ``POST /v1/customers``, ``POST /v1/checkout/sessions`` (``mode=setup``),
``GET /v1/setup_intents/{id}`` (``expand[]=payment_method``), ``GET /v1/payment_methods/{id}``,
``POST /v1/payment_intents`` (``confirm=true``, ``off_session=true``), ``POST /v1/refunds``,
``GET /v1/refunds?payment_intent=``, and the hosted setup page ``GET/POST /setup/{session}``.

Test payment methods (what the hosted page's ``method`` field takes; ``complete_setup``):
``card_visa`` succeeds, ``card_declined`` is declined (``card_declined``/``generic_decline``),
``card_authentication_required`` is declined off-session with ``authentication_required``,
``card_3ds`` answers ``requires_action``, ``apple_pay``/``google_pay`` are cards in a wallet that
succeed, ``sepa_success``/``ach_success`` go ``processing`` and succeed on ``finish``,
``sepa_fail``/``ach_fail`` go ``processing`` and fail on ``finish``. Refunds of cards succeed at
once; refunds of bank debits are ``pending`` until ``finish_refund``.

Webhooks are queued as Stripe would send them and delivered when the test says (``deliver``),
in the order it says, as often as it says (``redeliver``): Stripe's own delivery is
asynchronous, retried and unordered.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

API_VERSION = "2026-10-28.endive"

CARDS = {
    "card_visa": ("visa", "4242", None, "succeed"),
    "card_declined": ("visa", "0002", None, "decline"),
    "card_authentication_required": ("visa", "3184", None, "authentication_required"),
    "card_3ds": ("visa", "3220", None, "requires_action"),
    "apple_pay": ("visa", "4242", "apple_pay", "succeed"),
    "google_pay": ("mastercard", "4444", "google_pay", "succeed"),
}
BANKS = {  # type, last4, outcome after processing
    "sepa_success": ("sepa_debit", "3000", "succeed"),
    "sepa_fail": ("sepa_debit", "3001", "fail"),
    "ach_success": ("us_bank_account", "6789", "succeed"),
    "ach_fail": ("us_bank_account", "1116", "fail"),
}
TEST_METHODS = tuple(CARDS) + tuple(BANKS)


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's bracketed form keys as nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for part, following in zip(parts, parts[1:] + [None], strict=True):
            if following is None:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_listify(node[k]) for k in sorted(node, key=int)]
        return {k: _listify(v) for k, v in node.items()}
    return node


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header of ``payload``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


class StripeError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def _invalid(message: str, param: str | None = None, code: str = "parameter_invalid") -> StripeError:
    return StripeError(400, {"type": "invalid_request_error", "code": code, "param": param,
                             "message": message})


@dataclass
class FakeStripe:
    webhook_secret: str = field(default_factory=lambda: "whsec_" + secrets.token_hex(16))
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    behaviors: dict[str, str] = field(default_factory=dict)  # pm id → behaviour
    idempotent: dict[tuple[str, str], tuple[str, int, bytes]] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # event ids not delivered yet
    requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    intents_created: int = 0
    refunds_created: int = 0
    target: Callable[[bytes, dict[str, str]], int] | str | None = None
    base: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.app = Starlette(routes=[
            Route("/v1/customers", self._customers, methods=["POST"]),
            Route("/v1/checkout/sessions", self._checkout_sessions, methods=["POST"]),
            Route("/v1/setup_intents/{id}", self._setup_intent, methods=["GET"]),
            Route("/v1/payment_methods/{id}", self._payment_method, methods=["GET"]),
            Route("/v1/payment_intents", self._payment_intents, methods=["POST"]),
            Route("/v1/payment_intents/{id}", self._get_intent, methods=["GET"]),
            Route("/v1/payment_intents/{id}/cancel", self._cancel_intent, methods=["POST"]),
            Route("/v1/refunds", self._refunds, methods=["GET", "POST"]),
            Route("/setup/{id}", self._setup_page, methods=["GET", "POST"]),
        ])

    # ------------------------------------------------------------------ serving

    def start(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True,
                                        name=f"fake-stripe-{port}")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Stripe did not start")
            time.sleep(0.01)
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(6)}{next(self._ids)}"

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            return decode_form(list(request.query_params.multi_items()))
        body = (await request.body()).decode()
        return decode_form(parse_qsl(body, keep_blank_values=True))

    async def _handle(self, request: Request, make: Callable[[dict[str, Any]], Any],
                      status: int = 200) -> Response:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer sk_"):
            return JSONResponse({"error": {"type": "invalid_request_error",
                                           "message": "Invalid API Key provided."}}, 401)
        params = await self._params(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.requests.append((request.method, request.url.path, params, headers))
            key = headers.get("idempotency-key")
            fingerprint = request.url.path + json.dumps(params, sort_keys=True)
            if request.method == "POST" and key:
                stored = self.idempotent.get((auth, key))
                if stored is not None:
                    if stored[0] != fingerprint:
                        return JSONResponse({"error": {
                            "type": "idempotency_error", "message": "Keys for idempotent "
                            "requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{key}'."}}, 400)
                    return Response(stored[2], stored[1], media_type="application/json",
                                    headers={"Idempotent-Replayed": "true"})
            try:
                answer, code = make(params), status
            except StripeError as exc:
                answer, code = {"error": exc.error}, exc.status
            body = json.dumps(answer).encode()
            if request.method == "POST" and key:
                self.idempotent[(auth, key)] = (fingerprint, code, body)
        return Response(body, code, media_type="application/json",
                        headers={"Request-Id": self._id("req")})

    # ------------------------------------------------------------------ objects

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def _get(self, obj_id: str, kind: str, param: str = "id") -> dict[str, Any]:
        found = self.objects.get(obj_id)
        if found is None or found["object"] != kind:
            raise _invalid(f"No such {kind}: '{obj_id}'", param, "resource_missing")
        return found

    def _event(self, kind: str, obj: dict[str, Any]) -> str:
        event = {"id": self._id("evt"), "object": "event", "api_version": API_VERSION,
                 "created": int(time.time()), "data": {"object": json.loads(json.dumps(obj))},
                 "livemode": False, "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None}, "type": kind}
        self.events.append(event)
        self.pending.append(event["id"])
        return str(event["id"])

    async def _customers(self, request: Request) -> Response:
        def make(p: dict[str, Any]) -> dict[str, Any]:
            return self._store({
                "id": self._id("cus"), "object": "customer", "created": int(time.time()),
                "email": p.get("email"), "name": p.get("name"), "description": None,
                "metadata": p.get("metadata") or {}, "livemode": False, "balance": 0,
                "currency": None, "delinquent": False, "invoice_prefix": "FAKE",
                "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                     "footer": None, "rendering_options": None},
                "preferred_locales": [], "tax_exempt": "none"})
        return await self._handle(request, make)

    async def _checkout_sessions(self, request: Request) -> Response:
        def make(p: dict[str, Any]) -> dict[str, Any]:
            if p.get("mode") != "setup":
                raise _invalid("This fake makes setup sessions only.", "mode")
            customer = self._get(p.get("customer", ""), "customer", "customer")
            for name in ("success_url", "cancel_url"):
                if not str(p.get(name, "")).startswith(("http://", "https://")):
                    raise _invalid(f"Not a valid URL: {name}", name, "url_invalid")
            types = p.get("payment_method_types") or ["card"]
            marks = (p.get("setup_intent_data") or {}).get("metadata") or {}
            intent = self._store({
                "id": self._id("seti"), "object": "setup_intent", "customer": customer["id"],
                "status": "requires_payment_method", "payment_method": None,
                "payment_method_types": types, "usage": "off_session", "metadata": marks,
                "created": int(time.time()), "livemode": False, "last_setup_error": None,
                "next_action": None, "client_secret": self._id("seti_secret"),
                "description": None, "mandate": None, "single_use_mandate": None,
                "cancellation_reason": None})
            session_id = self._id("cs_test")
            return self._store({
                "id": session_id, "object": "checkout.session", "mode": "setup",
                "status": "open", "customer": customer["id"], "setup_intent": intent["id"],
                "url": f"{self.base}/setup/{session_id}", "success_url": p["success_url"],
                "cancel_url": p["cancel_url"], "metadata": p.get("metadata") or {},
                "payment_method_types": types, "payment_status": "no_payment_required",
                "currency": None, "amount_total": None, "livemode": False,
                "created": int(time.time()), "expires_at": int(time.time()) + 86400,
                "payment_intent": None, "subscription": None, "client_reference_id": None})
        return await self._handle(request, make)

    async def _setup_intent(self, request: Request) -> Response:
        def make(p: dict[str, Any]) -> dict[str, Any]:
            intent = dict(self._get(request.path_params["id"], "setup_intent"))
            if "payment_method" in (p.get("expand") or []) and intent["payment_method"]:
                intent["payment_method"] = self.objects[intent["payment_method"]]
            return intent
        return await self._handle(request, make)

    async def _payment_method(self, request: Request) -> Response:
        return await self._handle(
            request, lambda p: self._get(request.path_params["id"], "payment_method"))

    async def _get_intent(self, request: Request) -> Response:
        return await self._handle(
            request, lambda p: self._get(request.path_params["id"], "payment_intent"))

    async def _cancel_intent(self, request: Request) -> Response:
        def make(p: dict[str, Any]) -> dict[str, Any]:
            intent = self._get(request.path_params["id"], "payment_intent")
            if intent["status"] in ("succeeded", "canceled", "processing"):
                raise _invalid("You cannot cancel this PaymentIntent because it has a status "
                               f"of {intent['status']}.", None, "payment_intent_unexpected_state")
            intent.update(status="canceled", canceled_at=int(time.time()),
                          cancellation_reason=p.get("cancellation_reason") or "requested_by_customer")
            self._event("payment_intent.canceled", intent)
            return intent
        return await self._handle(request, make)

    # ------------------------------------------------------------------ hosted setup

    async def _setup_page(self, request: Request) -> Response:
        session = self.objects.get(request.path_params["id"])
        if session is None or session["object"] != "checkout.session":
            return HTMLResponse("<h1>No such checkout</h1>", 404)
        if request.method == "GET":
            options = "".join(f'<option value="{m}">{html.escape(m)}</option>'
                              for m in TEST_METHODS)
            return HTMLResponse(f'<form method="post"><select name="method">{options}</select>'
                                '<button>Save</button></form>')
        form = decode_form(parse_qsl((await request.body()).decode()))
        try:
            self.complete_setup(session["id"], form.get("method", ""))
        except KeyError:
            return HTMLResponse("<h1>Unknown test method</h1>", 422)
        return RedirectResponse(session["success_url"], 303)

    def complete_setup(self, session_id: str, method: str) -> str:
        """The customer saved ``method`` on the hosted page: the payment method, the SetupIntent
        succeeded, the session complete, and their events queued. The method's id."""
        with self._lock:
            session = self.objects[session_id]
            intent = self.objects[session["setup_intent"]]
            pm_id = self._id("pm")
            pm: dict[str, Any] = {"id": pm_id, "object": "payment_method",
                                  "customer": session["customer"], "created": int(time.time()),
                                  "livemode": False, "metadata": {},
                                  "billing_details": {"address": None, "email": None,
                                                      "name": None, "phone": None}}
            if method in CARDS:
                brand, last4, wallet, behavior = CARDS[method]
                pm.update(type="card", card={
                    "brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034,
                    "country": "US", "funding": "credit", "fingerprint": secrets.token_hex(8),
                    "wallet": {"type": wallet, wallet: {}} if wallet else None,
                    "checks": None, "networks": None, "three_d_secure_usage": None})
            else:
                kind, last4, behavior = BANKS[method]
                pm["type"] = kind
                pm[kind] = ({"bank_code": "37040044", "branch_code": "", "country": "DE",
                             "fingerprint": secrets.token_hex(8), "last4": last4,
                             "generated_from": None}
                            if kind == "sepa_debit" else
                            {"account_holder_type": "individual", "account_type": "checking",
                             "bank_name": "STRIPE TEST BANK", "fingerprint": secrets.token_hex(8),
                             "last4": last4, "routing_number": "110000000",
                             "networks": None, "status_details": None,
                             "financial_connections_account": None})
            self._store(pm)
            self.behaviors[pm_id] = behavior
            intent.update(status="succeeded", payment_method=pm_id)
            session.update(status="complete")
            self._event("setup_intent.succeeded", intent)
            self._event("checkout.session.completed", session)
            return pm_id

    # ------------------------------------------------------------------ payments

    def _intent(self, p: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = int(p.get("amount", ""))
        except ValueError:
            raise _invalid("Invalid integer: amount", "amount") from None
        if amount < 1:
            raise _invalid("This value must be greater than or equal to 1.", "amount")
        if not p.get("currency"):
            raise _invalid("Missing required param: currency.", "currency", "parameter_missing")
        pm = self._get(p.get("payment_method", ""), "payment_method", "payment_method")
        if p.get("customer") != pm["customer"]:
            raise _invalid("The provided PaymentMethod belongs to another customer.",
                           "payment_method")
        if p.get("confirm") != "true" or p.get("off_session") != "true":
            raise _invalid("Kassa confirms off-session: expected confirm and off_session.",
                           "confirm")
        if pm["type"] not in (p.get("payment_method_types") or ["card"]):
            raise _invalid("The PaymentMethod's type is not among payment_method_types.",
                           "payment_method_types")
        self.intents_created += 1
        return {"id": self._id("pi"), "object": "payment_intent", "amount": amount,
                "amount_received": 0, "amount_capturable": 0, "currency": p["currency"],
                "customer": p["customer"], "payment_method": pm["id"],
                "payment_method_types": p.get("payment_method_types") or ["card"],
                "metadata": p.get("metadata") or {}, "status": "requires_confirmation",
                "capture_method": "automatic", "confirmation_method": "automatic",
                "client_secret": self._id("pi_secret"), "created": int(time.time()),
                "livemode": False, "latest_charge": None, "last_payment_error": None,
                "next_action": None, "cancellation_reason": None, "description": None,
                "setup_future_usage": None, "canceled_at": None}

    def _charge_of(self, intent: dict[str, Any]) -> dict[str, Any]:
        return self._store({
            "id": self._id("ch"), "object": "charge", "amount": intent["amount"],
            "amount_captured": intent["amount"], "amount_refunded": 0,
            "currency": intent["currency"], "customer": intent["customer"],
            "payment_intent": intent["id"], "payment_method": intent["payment_method"],
            "paid": True, "captured": True, "refunded": False, "status": "succeeded",
            "metadata": intent["metadata"], "livemode": False, "created": int(time.time()),
            "failure_code": None, "failure_message": None, "disputed": False})

    def _succeed(self, intent: dict[str, Any]) -> None:
        charge = self._charge_of(intent)
        intent.update(status="succeeded", amount_received=intent["amount"],
                      latest_charge=charge["id"])
        self._event("payment_intent.succeeded", intent)

    def _fail(self, intent: dict[str, Any], error: dict[str, Any]) -> None:
        intent.update(status="requires_payment_method", last_payment_error=error)
        self._event("payment_intent.payment_failed", intent)

    async def _payment_intents(self, request: Request) -> Response:
        def make(p: dict[str, Any]) -> dict[str, Any]:
            intent = self._store(self._intent(p))
            behavior = self.behaviors.get(intent["payment_method"], "succeed")
            if self.objects[intent["payment_method"]]["type"] != "card":
                intent.update(status="processing")  # a bank debit: processing until finish()
                self._event("payment_intent.processing", intent)
            elif behavior == "succeed":
                self._succeed(intent)
            elif behavior in ("decline", "authentication_required"):
                code = "card_declined" if behavior == "decline" else "authentication_required"
                error = {"type": "card_error", "code": code,
                         "decline_code": "generic_decline" if behavior == "decline" else
                         "authentication_required",
                         "message": "Your card was declined." if behavior == "decline" else
                         "Your card was declined. This transaction requires authentication.",
                         "payment_method": self.objects[intent["payment_method"]]}
                self._fail(intent, error)
                raise StripeError(402, {**error, "payment_intent": intent,
                                        "charge": None, "param": None})
            elif behavior == "requires_action":
                intent.update(status="requires_action", next_action={
                    "type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}})
                self._event("payment_intent.requires_action", intent)
            return intent
        return await self._handle(request, make)

    def finish(self, intent_id: str) -> None:
        """The bank settled a processing debit: succeeded or failed, as its test method says."""
        with self._lock:
            intent = self.objects[intent_id]
            assert intent["status"] == "processing", intent["status"]
            if self.behaviors[intent["payment_method"]] == "fail":
                self._fail(intent, {
                    "type": "invalid_request_error",
                    "code": "payment_intent_payment_attempt_failed",
                    "decline_code": "insufficient_funds",
                    "message": "The customer's account has insufficient funds to cover this "
                    "payment.", "payment_method": self.objects[intent["payment_method"]]})
            else:
                self._succeed(intent)

    # ------------------------------------------------------------------ refunds

    async def _refunds(self, request: Request) -> Response:
        if request.method == "GET":
            def listed(p: dict[str, Any]) -> dict[str, Any]:
                found = [o for o in self.objects.values() if o["object"] == "refund"
                         and o["payment_intent"] == p.get("payment_intent")]
                return {"object": "list", "data": found, "has_more": False, "url": "/v1/refunds"}
            return await self._handle(request, listed)

        def make(p: dict[str, Any]) -> dict[str, Any]:
            intent = self._get(p.get("payment_intent", ""), "payment_intent", "payment_intent")
            if intent["status"] != "succeeded":
                raise _invalid("This PaymentIntent has no successful charge to refund.",
                               "payment_intent", "charge_not_refundable")
            charge = self.objects[intent["latest_charge"]]
            amount = int(p.get("amount") or charge["amount"] - charge["amount_refunded"])
            if amount < 1 or amount > charge["amount"] - charge["amount_refunded"]:
                raise _invalid(f"Refund amount ({amount}) is greater than unrefunded amount "
                               "on charge.", "amount", "amount_too_large")
            self.refunds_created += 1
            bank = self.objects[intent["payment_method"]]["type"] != "card"
            refund = self._store({
                "id": self._id("re"), "object": "refund", "amount": amount,
                "currency": charge["currency"], "charge": charge["id"],
                "payment_intent": intent["id"], "metadata": p.get("metadata") or {},
                "status": "pending" if bank else "succeeded", "reason": None,
                "created": int(time.time()), "balance_transaction": None,
                "receipt_number": None, "failure_reason": None,
                "destination_details": None})
            charge["amount_refunded"] += amount
            charge["refunded"] = charge["amount_refunded"] == charge["amount"]
            if not bank:
                self._event("charge.refunded", charge)
            return refund
        return await self._handle(request, make)

    def finish_refund(self, refund_id: str, *, succeed: bool = True) -> None:
        with self._lock:
            refund = self.objects[refund_id]
            charge = self.objects[refund["charge"]]
            if succeed:
                refund["status"] = "succeeded"
                self._event("charge.refunded", charge)
            else:
                refund.update(status="failed", failure_reason="expired_or_canceled_card")
                charge["amount_refunded"] -= refund["amount"]
                charge["refunded"] = False
                self._event("charge.refund.updated", refund)

    # ------------------------------------------------------------------ webhooks

    def event(self, event_id: str) -> dict[str, Any]:
        return next(e for e in self.events if e["id"] == event_id)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    def send(self, event_id: str, *, secret: str | None = None) -> int:
        """Deliver one event (again, if it was delivered already); the receiver's status."""
        body = json.dumps(self.event(event_id)).encode()
        headers = {"Content-Type": "application/json",
                   "Stripe-Signature": sign(body, secret or self.webhook_secret),
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}
        with self._lock:
            if event_id in self.pending:
                self.pending.remove(event_id)
        if callable(self.target):
            return self.target(body, headers)
        assert isinstance(self.target, str), "set FakeStripe.target first"
        return httpx.post(self.target, content=body, headers=headers, timeout=15).status_code

    def deliver(self, *, reverse: bool = False) -> list[tuple[str, int]]:
        """Deliver every queued event (in order, or last first); (type, status) of each."""
        queued = list(reversed(self.pending) if reverse else self.pending)
        return [(self.event(e)["type"], self.send(e)) for e in queued]
