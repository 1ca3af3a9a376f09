"""A webhook receiver for ``bench.notify``, run by uvicorn in its own process (so its cost is not the bench's).

POST / counts an event and answers 200, or 503 while switched off; ``GET /count`` reads the count;
``PUT /status/CODE`` switches what POSTs answer.
"""

from __future__ import annotations

from typing import Any

state = {"count": 0, "status": 503}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    path, body = scope["path"], b""
    if scope["method"] == "POST":
        status = state["status"]
        if status == 200:
            state["count"] += 1
    elif path.startswith("/status/"):
        state["status"], status = int(path.rsplit("/", 1)[1]), 200
    else:
        status, body = 200, str(state["count"]).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
