"""The demo workspace: a deterministic, realistic CSP desk for ``make run`` and the benchmarks.

Its content (customers, offers, agents, ticket templates) in English and Japanese."""
