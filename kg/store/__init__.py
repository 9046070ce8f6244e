"""The store: one interface (:class:`Store`) over the embedded Oxigraph store and any remote SPARQL 1.1 engine."""
