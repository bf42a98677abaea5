"""Fixtures for the real services: PostgreSQL, Redis with a Celery worker, Chromium.

(Filled in by the worker and browser tests.)
"""
