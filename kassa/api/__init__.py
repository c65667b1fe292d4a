"""HTTP API: FastAPI app, middleware, schemas and one router per resource."""
