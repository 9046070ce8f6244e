"""The command line's graph commands (``service.cli`` adds ``serve`` and is the entry point)."""
