"""The sub-agent spec: a JSON document validated by `schema.json` plus the cross-references a
schema cannot express. `spec_validate` is the one gate every spec passes before it is stored,
installed, published or rendered."""

from subagents.spec.validation import (
    FIELD_TYPES,
    NUMERIC_TYPES,
    SPEC_MAX_BYTES,
    SPEC_VERSION,
    SpecError,
    SpecProblem,
    spec_schema,
    spec_validate,
)

__all__ = [
    "FIELD_TYPES",
    "NUMERIC_TYPES",
    "SPEC_MAX_BYTES",
    "SPEC_VERSION",
    "SpecError",
    "SpecProblem",
    "spec_schema",
    "spec_validate",
]
