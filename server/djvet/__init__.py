"""djvet: a language server and CI checker for Django's GET logouts, async views and async ORM use."""

from __future__ import annotations

__version__ = "0.1.0"
