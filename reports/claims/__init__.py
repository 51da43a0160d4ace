"""Claims, one module per source (`reports/claims/<source>.py`); each module registers its claims.

SOURCES lists the modules in the order `fpcheck list` shows them. The claims of Xu et al. 2019 fill two
modules, split as CLAIMS.md splits them: `xu2019` (1D training dynamics) and `xu2019_highdim`
(high-dimensional data and applications); their ids both start with `xu2019.`.
"""

SOURCES: tuple[str, ...] = ("rahaman2019", "luo2019", "xu2019", "xu2018", "xu2019_highdim")
