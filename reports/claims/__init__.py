"""Claims, one module per source (`reports/claims/<source>.py`); each module registers its claims.

SOURCES lists the modules in the order `fpcheck list` shows them. The claims of Xu et al. 2019 fill three
modules, grouped as the catalogue groups them (docs/catalogue.md): `xu2019` (1D training dynamics),
`xu2019_highdim` (high-dimensional data: filtering, parity) and `xu2019_applications` (a photograph, the
Poisson equation); their ids all start with `xu2019.`.
"""

SOURCES: tuple[str, ...] = ("rahaman2019", "luo2019", "xu2019", "xu2018", "xu2019_highdim", "xu2019_applications",
                             "basri2019", "basri2020", "yu2023", "jacot2018")
