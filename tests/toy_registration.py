"""Registers the toy claims in a Dask worker process (`dask worker --preload toy_registration`)."""

from toy_claims import TOY_CLAIMS

from fpcheck.reports import catalogue

catalogue.claims()
for claim in TOY_CLAIMS:
    catalogue.register(claim)
