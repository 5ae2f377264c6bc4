"""Models of the app (filled by the issue's work)."""
