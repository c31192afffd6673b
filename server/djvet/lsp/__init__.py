"""The language server front end (pygls 2.x): thin handlers over djvet.core."""
