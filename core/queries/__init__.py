"""The read side, one module per question: runs, bedrock, endpoints, costs, budgets, alerts.

Callers import from the module that answers their question (``core.queries.costs`` ...);
``common`` holds the filter and money helpers every module shares.
"""
