"""Response models: what each resource looks like in an API response and in a webhook payload.

One module per resource (pydantic models on ``kassa.domain`` only). The API routes declare them
as their response models (``kassa.api.schemas`` keeps the request schemas), and the services
build their answers and payloads with ``render(Model, row, **extra)`` (``rendering.py``), so each
field is named and typed in one place.
"""

from kassa.resources.rendering import render, render_object, renderer

__all__ = ["render", "render_object", "renderer"]
