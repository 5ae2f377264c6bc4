"""The overview's summaries: their refresh by the worker (``services``)."""
