"""backchannel's HTTP service: SPARQL Protocol, Graph Store Protocol, linked data, paths, UI.

Thin: HTTP in, ``kg`` calls, HTTP out.
"""
