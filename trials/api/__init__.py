"""The REST API (DRF): trials, screening and the vocabularies, under /api/v1/."""
