"""The ways in over HTTP: the FastAPI application, its middleware, dependencies and routes."""
