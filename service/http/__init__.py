"""HTTP plumbing shared by every route: negotiation, caching, limits, observability."""
