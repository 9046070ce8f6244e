"""Helpers of the linked-data routes: representations and HTTP caching, page models, pictures."""
