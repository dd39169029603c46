"""Valid example data for every form (kept in service/samples.py, shared with the demo)."""

from service.samples import DRAFT, VALID

__all__ = ["DRAFT", "VALID"]
