"""/docs and /redoc work without internet: every asset they reference is served by Kassa."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

# src="..." and href="..." attributes, and the spec URL in Swagger UI's config (url: '...').
REFERENCE = re.compile(r"""(?:\b(?:src|href|spec-url)\s*=\s*|\burl\s*:\s*)["']([^"']*)["']""")
CONTENT_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "json"}


def _references(html: str) -> list[str]:
    return REFERENCE.findall(html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_reference_only_kassa_itself(anon: TestClient, page: str) -> None:
    r = anon.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    refs = _references(r.text)
    assert "/openapi.json" in refs
    assert any(ref.endswith(".js") for ref in refs) and any(ref.endswith(".png") for ref in refs)
    for ref in refs:
        parts = urlsplit(ref)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{page} references {ref}"
        asset = anon.get(urljoin(page, ref))
        assert asset.status_code == 200, ref
        suffix = parts.path[parts.path.rfind(".") :]
        assert CONTENT_TYPES[suffix] in asset.headers["content-type"], ref
        assert len(asset.content) > 500, ref


def test_docs_pages_include_their_stylesheet_and_no_web_fonts(anon: TestClient) -> None:
    swagger = _references(anon.get("/docs").text)
    assert any(ref.endswith("swagger-ui.css") for ref in swagger)
    assert "fonts.googleapis" not in anon.get("/redoc").text


def test_vendored_bundles_fetch_nothing_from_outside(anon: TestClient) -> None:
    """Swagger UI's validator badge is off, and Redoc's footer logo is not loaded from its CDN."""
    assert '"validatorUrl": null' in anon.get("/docs").text
    bundle = anon.get("/docs-assets/redoc/redoc.standalone.js")
    assert bundle.status_code == 200 and "cdn.redoc.ly" not in bundle.text


def test_docs_assets_need_no_api_key(anon: TestClient) -> None:
    assert anon.get("/docs-assets/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert anon.get("/docs-assets/nothing-here.js").status_code == 404
