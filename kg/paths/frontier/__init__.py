"""The frontier engine: path search by batched SPARQL queries, without loading the graph into memory."""
