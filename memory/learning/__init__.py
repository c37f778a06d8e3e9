"""Learning from what helped: the candidates' features (`features`), the versioned scoring
policy (`policy`, `registry`), the per-call retrieval log (`log`), reward events tied to the
retrieval that produced them (`rewards`) and the fits (`fit`: the global prior offline, the
per-person adjustments online; `gate`: the store/forget parameters).

`memory.retrieval` imports this package (features, policy scoring, logging); this package
never imports `memory.retrieval`: what it needs from there (strength, language groups) is
passed in."""
