"""Claims, one module per source (`reports/claims/<source>.py`); each module registers its claims.

SOURCES lists the modules in the order `fpcheck list` shows them.
"""

SOURCES: tuple[str, ...] = ("rahaman2019", "luo2019", "xu2019", "xu2018", "xu2019_highdim")
