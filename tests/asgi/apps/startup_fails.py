"""An app whose lifespan startup fails: uvicorn exits, and the Lambda function fails to init."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

MESSAGE = "the database at db.invalid cannot be reached"
"""What the startup fails with: both servers must report it."""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Fail to start."""
    raise RuntimeError(MESSAGE)
    yield


app = FastAPI(lifespan=lifespan)
