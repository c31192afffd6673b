"""Python source analysis: error-tolerant parsing, module facts, async scopes, receiver inference."""
