"""The named-query catalogue: the ``queries/*.rq`` files as typed operations."""
