"""A cap on request bodies: Starlette reads any size, so an oversize body must be stopped here."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

DEFAULT_MAX_BODY = 2 * 1024 * 1024


class BodyLimit:
    """ASGI middleware: 413 for a body over ``limit`` bytes, by its Content-Length or while it streams in."""

    def __init__(self, app, limit: int = DEFAULT_MAX_BODY):
        self.app, self.limit = app, limit

    def message(self) -> str:
        return f"request body over the limit of {self.limit:,} bytes"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            status, detail = (413, self.message()) if length.isdigit() else (400, f"bad Content-Length {length!r}")
            return await JSONResponse({"detail": detail}, status_code=status)(scope, receive, send)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:  # a chunked body with no Content-Length
                raise HTTPException(413, self.message())
            return message

        await self.app(scope, counted, send)
