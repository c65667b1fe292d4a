"""The benchmark's webhook receiver: a minimal ASGI app under uvicorn, in its own process.

It checks every signature (HMAC-SHA256, as the Standard Webhooks libraries do), remembers each
message id with its arrival time and the lag from the event's timestamp, and reports at
GET /stats (counts) and GET /lags (counts and every lag). Run by bench/webhooks.py as
``python bench/receiver.py PORT SECRET``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
from datetime import datetime

import uvicorn

PORT, SECRET = int(sys.argv[1]), sys.argv[2]
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
seen: dict[str, float] = {}
lags: list[float] = []
stats = {"requests": 0, "bad_signatures": 0, "duplicates": 0}


def _verified(headers: dict[bytes, bytes], body: bytes) -> bool:
    msg_id = headers.get(b"webhook-id", b"").decode()
    ts = headers.get(b"webhook-timestamp", b"").decode()
    expected = base64.b64encode(
        hmac.new(KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    offered = headers.get(b"webhook-signature", b"").decode().split(" ")
    return any(hmac.compare_digest("v1," + expected, sig) for sig in offered)


async def app(scope, receive, send):  # noqa: ANN001, ANN201
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["method"] == "GET":
        report = {**stats, "distinct": len(seen)}
        if scope["path"] == "/lags":
            report["lags"] = lags
        payload = json.dumps(report).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})
        return
    if scope["method"] == "DELETE":
        seen.clear()
        lags.clear()
        stats.update(requests=0, bad_signatures=0, duplicates=0)
    else:
        now = time.time()
        headers = dict(scope["headers"])
        stats["requests"] += 1
        if not _verified(headers, body):
            stats["bad_signatures"] += 1
        msg_id = headers.get(b"webhook-id", b"").decode()
        if msg_id in seen:
            stats["duplicates"] += 1
        elif msg_id:
            seen[msg_id] = now
            stamp = json.loads(body).get("timestamp")
            if stamp and stamp.endswith("Z"):
                lags.append(now - datetime.fromisoformat(stamp[:-1] + "+00:00").timestamp())
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})


if __name__ == "__main__":
    # uvicorn picks httptools and uvloop when installed (they are, with uvicorn[standard]).
    uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
