"""Serving saved runs over HTTP: a FastAPI app, its model registry, and a small explorer page.

``create_app(models_dir)`` loads every run folder once; ``cvae-tf serve DIR`` runs it on uvicorn.
"""

from cvae_tf.serve.app import create_app

__all__ = ["create_app"]
