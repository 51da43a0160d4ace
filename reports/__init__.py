"""fpcheck's verdict layer: the claim catalogue, the reconciler, the report renderer and the CLI.

`reports.verify(ids=None, profile="quick", seeds=None, config=None, out=None)` runs claims and returns
the verdict table as a pandas DataFrame (see `reports.verification`).
"""

from reports.verification import verify

__all__ = ["verify"]
