"""Which registry listings the sync fetches as cytokine-trial candidates.

The terms follow section 1 of the screening contract (`/work/shared/spec/screening-contract.md`)
and are deliberately generous: they are sent to the registry's intervention search
(`query.intr`) to fetch candidates, and the classification step later decides each
intervention's family (or that it is a blocker, or no cytokine at all). A term missing here
means a trial is never fetched; a term too many only costs a few extra records.
"""

from __future__ import annotations

CYTOKINE_QUERY_TERMS: tuple[str, ...] = (
    # IL2
    "aldesleukin",
    "Proleukin",
    "interleukin-2",
    "IL-2",
    "IL2",
    "rIL-2",
    "rhIL-2",
    "recombinant human interleukin-2",
    "teceleukin",
    "bempegaldesleukin",
    "NKTR-214",
    "nemvaleukin",
    "nemvaleukin alfa",
    "ALKS 4230",
    "ALKS-4230",
    # IL7
    "interleukin-7",
    "IL-7",
    "CYT107",
    "efineptakin alfa",
    # IL10
    "interleukin-10",
    "IL-10",
    "pegilodecakin",
    "AM0010",
    # IL12
    "interleukin-12",
    "IL-12",
    "NHS-IL12",
    "M9241",
    "tavokinogene telseplasmid",
    # IL15
    "interleukin-15",
    "IL-15",
    "rhIL-15",
    "N-803",
    "ALT-803",
    "nogapendekin alfa inbakicept",
    "Anktiva",
    "NKTR-255",
    # IL18, IL21, other interleukins given as therapy
    "interleukin-18",
    "IL-18",
    "interleukin-21",
    "IL-21",
    "interleukin-11",
    "oprelvekin",
    # IFN_ALPHA
    "interferon alfa",
    "interferon alpha",
    "interferon alfa-2a",
    "interferon alfa-2b",
    "Intron A",
    "Roferon-A",
    "peginterferon",
    "peginterferon alfa-2a",
    "peginterferon alfa-2b",
    "Sylatron",
    "PegIntron",
    "Pegasys",
    "ropeginterferon",
    "ropeginterferon alfa-2b",
    "Besremi",
    # IFN_BETA
    "interferon beta",
    "interferon beta-1a",
    "interferon beta-1b",
    # IFN_GAMMA
    "interferon gamma",
    "interferon gamma-1b",
    "Actimmune",
    # IFN_LAMBDA
    "peginterferon lambda",
    "interferon lambda",
)
