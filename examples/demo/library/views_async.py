"""Placeholder until the rule family adds its demo views."""

urlpatterns = []
