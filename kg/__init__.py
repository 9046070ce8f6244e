"""backchannel's knowledge graph: the ontology's data, the build, the store, paths and influence.

This package never imports ``service``.
"""

__version__ = "0.1.0"
