"""The FinOps FOCUS 1.2 column set: the spec as data, the mapping of billed lines onto it, the validator."""
