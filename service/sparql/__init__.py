"""The SPARQL 1.1 Protocol endpoint, its guards, its Service Description and the Graph Store Protocol."""
