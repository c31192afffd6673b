"""djvet rules: one module per rule, discovered by djvet.core.registry."""
