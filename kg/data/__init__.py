"""The data: curated source graphs (``sources/``, one named graph each), the build and the validation."""
