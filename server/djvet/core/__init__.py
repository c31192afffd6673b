"""Core analysis: pure Python, never imports pygls or lsprotocol (a test enforces it)."""
