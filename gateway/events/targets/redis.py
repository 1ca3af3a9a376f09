"""``redis://HOST:PORT/DB?list=NAME`` (RPUSH) or ``?stream=NAME`` (XADD, the JSON in field ``event``).

Delivered once Redis answered the command (with appendonly/fsync as the server is configured). A batch
of pending events goes in one round trip: one RPUSH of them all, or a pipeline of XADDs.
Client: redis-py, the Redis project's own, with asyncio support and a connection pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gateway.events.targets import DeliveryError, EventInfo


class RedisTarget:
    def __init__(self, name: str, url: str) -> None:
        parts = urlsplit(url)
        query = parse_qsl(parts.query)
        lists, streams = [v for k, v in query if k == "list"], [v for k, v in query if k == "stream"]
        if len(lists) + len(streams) != 1 or not (lists or streams)[0]:
            raise ValueError(f"notification target {name!r}: a redis URL needs exactly one of ?list=NAME or "
                             f"?stream=NAME, got {url!r}")
        path = parts.path.strip("/")
        if path and not path.isdigit():
            raise ValueError(f"notification target {name!r}: the redis database is a number (/0), got {path!r}")
        self.name, self.url = name, url
        self._list = lists[0] if lists else None
        self._stream = streams[0] if streams else None
        self._connect_url = urlunsplit((parts.scheme, parts.netloc, parts.path,
                                        urlencode([(k, v) for k, v in query if k not in ("list", "stream")]), ""))
        self._client: Any = None

    def _redis(self) -> Any:
        """redis.asyncio.Redis, imported on first use (start-up never loads the library)."""
        if self._client is None:
            import redis.asyncio

            self._client = redis.asyncio.from_url(self._connect_url, socket_connect_timeout=5, socket_timeout=10,
                                                  max_connections=64)
        return self._client

    async def deliver(self, message: bytes, event: EventInfo) -> None:
        await self.deliver_many([(message, event)])

    async def deliver_many(self, batch: Sequence[tuple[bytes, EventInfo]]) -> None:
        """A list: one RPUSH of every message (atomic, in order); a stream: one pipeline of XADDs."""
        import redis.exceptions

        client = self._redis()
        try:
            if self._list is not None:
                await client.rpush(self._list, *(message for message, _ in batch))
            else:
                async with client.pipeline(transaction=False) as pipe:
                    for message, _ in batch:
                        pipe.xadd(self._stream, {"event": message})
                    await pipe.execute()
        except (redis.exceptions.RedisError, OSError) as exc:
            raise DeliveryError(f"redis {self._list or self._stream}: {exc.__class__.__name__}: {exc}") from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._redis().aclose()


def open(name: str, url: str) -> RedisTarget:  # noqa: A001 - the module protocol's name
    return RedisTarget(name, url)
