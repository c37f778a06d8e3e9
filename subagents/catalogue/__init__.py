"""The curated blueprint catalogue, shipped as data: one JSON file per group in this folder,
each `{"group", "blueprints": [{"slug", "keywords", "spec"}]}`. The files are the source of
truth; the `CatalogueBlueprint` table mirrors them (with an embedding for semantic matching) and
is re-synced by the 0002 migration and `manage.py catalogue_load`.

`custom-tracker` is the builder's generic fallback, never a match of its own.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

FOLDER = Path(__file__).parent
FALLBACK_SLUG = "custom-tracker"


@dataclass(frozen=True)
class CatalogueEntry:
    slug: str
    group: str
    keywords: list[str]
    spec: dict

    @property
    def digest(self) -> str:
        """Changes whenever the entry's content changes (what the embedding depends on too)."""
        body = json.dumps([self.keywords, self.spec], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:32]

    def embedding_text(self) -> str:
        """Names and descriptions in every language plus the keywords: what a request is
        compared with."""
        spec = self.spec
        parts = [spec["name"], spec["description"]]
        for translation in spec.get("translations", {}).values():
            parts += [translation.get("name", ""), translation.get("description", "")]
        parts.append(", ".join(self.keywords))
        return ". ".join(part for part in parts if part)


def catalogue_entries() -> list[CatalogueEntry]:
    """Every blueprint in the shipped files, in a stable order."""
    entries = []
    for path in sorted(FOLDER.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data["blueprints"]:
            entries.append(
                CatalogueEntry(
                    slug=item["slug"],
                    group=data["group"],
                    keywords=list(item.get("keywords", [])),
                    spec=item["spec"],
                )
            )
    return entries


def catalogue_sync_into(model, *, embed: bool = True) -> dict[str, int]:
    """Make `model`'s rows match the files (create, update changed, delete removed).
    Idempotent; `model` may be the migration's historical model. The changed entries are
    embedded in one batch before the short transaction that writes them."""
    entries = catalogue_entries()
    existing = {row.slug: row for row in model.objects.all()}
    changed = [
        entry
        for entry in entries
        if entry.slug not in existing
        or existing[entry.slug].digest != entry.digest
        or (embed and existing[entry.slug].embedding is None)
    ]
    vectors: list = [None] * len(changed)
    model_name = ""
    if embed and changed:
        from macaron.embeddings import get_embedder

        embedder = get_embedder()
        model_name = embedder.name
        vectors = list(embedder.embed_documents([entry.embedding_text() for entry in changed]))
    with transaction.atomic():  # the writes only: the embedding above runs outside it
        return _catalogue_write(model, entries, changed, vectors, model_name)


def _catalogue_write(model, entries, changed, vectors, model_name: str) -> dict[str, int]:
    created = updated = 0
    for entry, vector in zip(changed, vectors, strict=True):
        values = {
            "group": entry.group,
            "keywords": entry.keywords,
            "spec": entry.spec,
            "digest": entry.digest,
            "embedding": None if vector is None else vector.tolist(),
            "embedding_model": model_name,
        }
        _, was_created = model.objects.update_or_create(slug=entry.slug, defaults=values)
        created += was_created
        updated += not was_created
    slugs = {entry.slug for entry in entries}
    deleted, _ = model.objects.exclude(slug__in=slugs).delete()
    return {"created": created, "updated": updated, "deleted": deleted, "total": len(entries)}
