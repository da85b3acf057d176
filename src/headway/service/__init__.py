"""The service behind every surface, split by concept: ``Headway`` (``headway.api``) inherits
the classes of this package, so the CLI, the REST API and the dashboard call one object.

Surfaces import the result types they show from ``headway.api`` (re-exported from
``headway.service.types``), never from the engine, the store or a backend (``make lint``).
"""
