"""The builder (the "coding agent"): requests in words → valid sub-agent specs, revisions in
words → new specs with a readable diff. Public entry points live in subagents.services."""
