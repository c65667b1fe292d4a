"""Server-rendered pages: the operator dashboard (``dashboard/``, mounted at /dashboard) on a
layer later pages and the customer portal share: sessions, CSRF and roles (``auth``), form
bodies (``forms``), templates (``rendering``) and error pages (``errors``).

Pages are thin: a handler reads the form, calls the same service the API route calls, and
renders; no business logic lives in a template or a handler. Every asset is served by Kassa
(``static/``, see its VERSIONS.md).
"""
