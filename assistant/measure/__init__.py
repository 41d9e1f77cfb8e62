"""Measuring the assistant, beside its answer path: `evaluate` (the dev-set figures), `datasets`
(SQuAD, RealTime QA and plain QA files), `bench` (ingest, query, scale, load and peer benchmarks),
`scale` (synthetic archives of up to 100k chunks), `peer` (the LangChain tutorial pipeline run
the same way), `load` (many clients on the web chat's API)."""
