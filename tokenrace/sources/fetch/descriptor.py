"""``datapackage.json`` of a fetched snapshot: licence, citation, sources, schemas, processing.

``processing`` records every rule applied and what it did: the windows requested, the weeks
kept, the partial weeks dropped (with the tokens not counted), the variants folded, the free
tokens folded per ``:free`` variant, the unlisted models counted in ``other`` and the map from
permaslug to model. ``as_of`` is the UTC date of the latest ``meta.as_of`` of the usage
responses; the exact timestamp is kept as ``as_of_timestamp``.

An :class:`Origin` says where the usage rows and the models came from: by default OpenRouter's
APIs (:func:`live_origin`, ``kind`` ``fetched``); a replay of archived replies gives its own
(``kind`` ``replayed``, its sources, its models rules and ``processing.replay``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tokenrace.snapshot import contract as c
from tokenrace.sources.fetch.client import MODELS_PATH, RANKINGS_PATH
from tokenrace.sources.fetch.rankings import RankingsPage
from tokenrace.sources.fetch.settings import FetchSettings
from tokenrace.sources.fetch.store import MODELS_RAW, RAW_DIR
from tokenrace.sources.fetch.tables import Tables
from tokenrace.sources.fetch.weeks import Weeks

LICENCE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0 (OpenRouter's licence for its rankings data)",
}
CITATION = "Source: OpenRouter (openrouter.ai/rankings), as of {as_of}"

#: Field schemas of the three CSV files (copied from data/datapackage.json; ``released`` is exact
#: here, the UTC date of the models API's ``created``; ``free_tokens`` is the contract's optional
#: column, which a fetched snapshot always has).
RESOURCES: list[dict[str, Any]] = [
    {
        "name": "weekly_tokens",
        "path": c.WEEKLY_FILE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {
                    "name": "week",
                    "type": "date",
                    "description": "Monday that starts the UTC week (ISO date)",
                },
                {
                    "name": "model",
                    "type": "string",
                    "description": "OpenRouter model slug without variant suffix; "
                    "'other' is the long tail",
                },
                {
                    "name": "tokens",
                    "type": "integer",
                    "description": "Prompt plus completion tokens in the week",
                    "constraints": {"minimum": 0},
                },
                {
                    "name": c.FREE_COLUMN,
                    "type": "integer",
                    "description": "Of those tokens, the ones served on free (':free') "
                    "variants; empty when unknown ('other': the long tail may hold free "
                    "variants)",
                    "constraints": {"minimum": 0},
                },
            ],
            "primaryKey": ["week", "model"],
        },
    },
    {
        "name": "models",
        "path": c.MODELS_FILE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {"name": "model", "type": "string", "description": "OpenRouter model slug"},
                {"name": "name", "type": "string"},
                {"name": "author", "type": "string", "description": "The slug before the '/'"},
                {
                    "name": "open_weights",
                    "type": "boolean",
                    "trueValues": ["true"],
                    "falseValues": ["false"],
                },
                {
                    "name": "released",
                    "type": "date",
                    "description": "Date the model appeared on OpenRouter (UTC date of the "
                    "models API's 'created')",
                },
                {
                    "name": "input_usd_per_mtok",
                    "type": "number",
                    "description": "Input (prompt) price, USD per million tokens; "
                    "empty when not recorded",
                    "constraints": {"minimum": 0},
                },
                {
                    "name": "output_usd_per_mtok",
                    "type": "number",
                    "description": "Output (completion) price, USD per million tokens; "
                    "empty when not recorded",
                    "constraints": {"minimum": 0},
                },
                {"name": "price_source", "type": "string"},
            ],
            "primaryKey": ["model"],
            "foreignKeys": [
                {"fields": ["author"], "reference": {"resource": "authors", "fields": ["author"]}}
            ],
        },
    },
    {
        "name": "authors",
        "path": c.AUTHORS_FILE,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {"name": "author", "type": "string"},
                {"name": "lab", "type": "string"},
                {
                    "name": "country",
                    "type": "string",
                    "description": "ISO 3166-1 alpha-2 code of the lab's headquarters; empty "
                    "for OpenRouter stealth models (unattributed)",
                },
                {"name": "source", "type": "string"},
            ],
            "primaryKey": ["author"],
        },
    },
]

#: The rules of the usage rows, as recorded in ``processing.rules``.
USAGE_RULES = [
    "Weeks start on Monday (UTC, ISO weeks); a week is kept only when all 7 days are "
    "in the requested range and have rows; incomplete weeks at either end are dropped "
    "(dropped_partial_weeks).",
    "Any ':suffix' variant (':free', ':beta', ':extended', ':thinking', ':nitro', ...) "
    "is folded into its base model: tokens are summed.",
    "free_tokens: tokens of ':free' variants (that suffix only) folded into a model are also "
    "summed into its free_tokens (free_tokens_folded, per variant); 0 when none of its rows was "
    "':free', exact because the API lists every top-50 row with its variant; empty (unknown) "
    "for 'other'.",
]
#: The rules of the models, when they come from the models API.
MODEL_RULES = [
    "Permaslugs are matched to models through the models API's canonical_slug "
    "(then id); the model slug is the listing's id without a variant suffix.",
    "Prices: models API pricing.prompt / pricing.completion (USD per token) times "
    "1,000,000 = USD per million tokens, exact decimals.",
    "open_weights is true when the models API lists a non-empty hugging_face_id.",
    "released is the UTC date of the models API's 'created' (Unix seconds).",
    "name is the models API's name without its 'Lab: ' prefix.",
]
AS_OF_RULE = "as_of is the UTC date of the latest meta.as_of of the usage responses."
#: The rules of a fetch from OpenRouter's APIs, as recorded in ``processing.rules``.
RULES = [*USAGE_RULES, *MODEL_RULES, AS_OF_RULE]


@dataclass(frozen=True)
class Origin:
    """Where a snapshot's usage rows and models came from, as ``datapackage.json`` says.

    ``kind`` is the descriptor's ``kind``; ``how`` ends its title (``fetched from OpenRouter's
    Data API``); ``sources`` are the ``sources`` entries of the usage rows and the models;
    ``rules`` the rules of the models (and of the replay), recorded between the usage rules and
    the ``as_of`` rule; ``processing`` further ``processing`` keys; ``description`` a sentence
    added to the description; ``resources`` the field schemas (:data:`RESOURCES` by default).
    """

    kind: str
    how: str
    sources: list[dict[str, str]]
    rules: list[str]
    processing: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    resources: list[dict[str, Any]] = field(default_factory=lambda: RESOURCES)


def live_origin(settings: FetchSettings) -> Origin:
    """The origin of a fetch from OpenRouter's Data API and models API (``settings.base_url``)."""
    return Origin(
        kind="fetched",
        how="fetched from OpenRouter's Data API",
        sources=[
            {
                "title": "OpenRouter Data API: rankings-daily (raw responses in raw/)",
                "path": f"{settings.base_url}{RANKINGS_PATH}",
            },
            {
                "title": f"OpenRouter models API (raw response in raw/{MODELS_RAW})",
                "path": f"{settings.base_url}{MODELS_PATH}",
            },
        ],
        rules=MODEL_RULES,
    )


def descriptor(
    *,
    start: date,
    end: date,
    pages: list[RankingsPage],
    weeks: Weeks,
    tables: Tables,
    settings: FetchSettings,
    authors_path: Path,
    as_of: str,
    as_of_timestamp: str,
    origin: Origin | None = None,
) -> dict[str, Any]:
    """The ``datapackage.json`` descriptor of a snapshot fetched for days ``start``..``end``
    (from OpenRouter's APIs unless ``origin`` says otherwise)."""
    origin = origin or live_origin(settings)
    first, last = weeks.weeks[0], weeks.weeks[-1]
    return {
        "profile": "data-package",
        "name": f"openrouter-weekly-tokens-{origin.kind}",
        "title": (
            f"OpenRouter weekly tokens by model, weeks of {first.isoformat()} to "
            f"{last.isoformat()} ({origin.how})"
        ),
        "description": (
            "Weekly prompt plus completion tokens for the models in OpenRouter's daily top 50 and "
            "the long tail ('other'), summed from the Data API's rankings-daily rows into "
            "Monday-start UTC weeks; variants folded into their base model, with the tokens of "
            "':free' variants also counted in free_tokens. Written by "
            "'python -m tokenrace fetch'; see 'processing' and raw/."
            + (f" {origin.description}" if origin.description else "")
        ),
        "version": as_of,
        "as_of": as_of,
        "as_of_timestamp": as_of_timestamp,
        "kind": origin.kind,
        "licenses": [LICENCE],
        "citation": CITATION.format(as_of=as_of),
        "sources": [
            {"title": "OpenRouter public rankings", "path": "https://openrouter.ai/rankings"},
            *origin.sources,
            {
                "title": f"Author countries: copied from {authors_path.name} "
                f"({authors_path.parent.name}/)",
                "path": c.AUTHORS_FILE,
            },
        ],
        "processing": {
            "requested": {"start_date": start.isoformat(), "end_date": end.isoformat()},
            "windows": [
                {
                    **page.window.params,
                    "rows": len(page.rows),
                    "as_of": page.meta.get("as_of"),
                    "version": page.meta.get("version"),
                    "raw": f"{RAW_DIR}/{page.window.raw_name}",
                }
                for page in pages
            ],
            "weeks": {
                "first": first.isoformat(),
                "last": last.isoformat(),
                "count": len(weeks.weeks),
            },
            "dropped_partial_weeks": weeks.dropped,
            "variants_folded": tables.variants,
            "free_tokens_folded": tables.free_folded,
            "unlisted_folded_into_other": tables.unlisted,
            "permaslug_to_model": tables.slug_map,
            "rules": [*USAGE_RULES, *origin.rules, AS_OF_RULE],
            **origin.processing,
        },
        "resources": origin.resources,
    }
