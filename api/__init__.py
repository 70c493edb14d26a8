"""The FastAPI application, its routers and the command line."""
