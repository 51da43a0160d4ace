"""Claims, one module per source (`reports/claims/<source>.py`); each module registers its claims.

SOURCES lists the modules in the order `fpcheck list` shows them.
"""

SOURCES: tuple[str, ...] = ()
