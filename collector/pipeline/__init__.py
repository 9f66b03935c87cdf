"""The collector's pipeline, one stage a module: receive -> decode -> filter -> deliver.

``collect`` runs the stages; ``delivery``, ``spool`` and ``deadletter`` keep every kept event
accounted for; ``stats`` counts it all.
"""
