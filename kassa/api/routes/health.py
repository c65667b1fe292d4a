from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field
from sqlalchemy import text
from starlette.responses import JSONResponse

from kassa.api.deps import get_kassa
from kassa.resources.fields import ResponseSchema

router = APIRouter(tags=["health"])


class Health(ResponseSchema):
    status: str
    database: str = Field(description="The database dialect: sqlite or postgresql")


@router.get("/health", response_model=Health)
def health(request: Request) -> Any:
    """Public: 200 when the database answers, 503 otherwise."""
    kassa = get_kassa(request)
    try:
        with kassa.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse(
            {"status": 503, "detail": "The database is unreachable.", "database": "down"},
            status_code=503,
            headers={"Transient-Error": "true"},
        )
    return {"status": "ok", "database": kassa.engine.dialect.name}
