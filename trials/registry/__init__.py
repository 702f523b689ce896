"""The ClinicalTrials.gov API v2 client: plain HTTP in, plain records out. No Django ORM."""
