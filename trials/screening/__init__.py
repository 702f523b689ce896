"""Screening: a person's answers held against the facets read from each listing.

Pure code, no ORM: `answers` (what a person says, validated), `verdicts` (meets / fails /
unknown per facet, and the trial's verdict), `vocabulary` (the contract's vocabularies as
bit sets for the SQL filter). The database side is `trials.selectors.trials_screen`.
"""
