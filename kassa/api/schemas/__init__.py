"""Request and response schemas (Pydantic v2), one family per resource."""
