"""The snapshot's tables: permaslugs matched to model listings, ``models.csv`` rows, authors.

A :class:`Catalogue` says which model a permaslug is and gives the model's ``models.csv`` row. A
fetch with a key uses :class:`ModelIndex`, the models API's listings (the rules below); a replay
of archived replies uses :class:`~tokenrace.sources.fetch.catalogue.ModelsCsv`, a committed
``models.csv`` (its own rules are in that module).

- **Models.** A permaslug is matched to the models API through ``canonical_slug`` (then ``id``).
  Where several listings share it, the plain listing wins over a variant (``:free``) or an alias
  (``~…``). The model slug is that listing's ``id`` without its variant suffix.
- **Unlisted models.** A permaslug that the catalogue does not know stops the fetch (the
  contract needs a name, author and release date for each model), unless ``fold_unlisted``: then
  its tokens go to ``other`` and it is recorded.
- **Prices** are the models API's ``pricing.prompt`` / ``pricing.completion`` (USD per token)
  times one million, in exact decimal arithmetic: **USD per million tokens**, written plainly
  (``0.15``, ``1.8``). A missing, negative (``-1``: variable) or non-numeric price is left empty
  and ``price_source`` says so.
- ``open_weights`` is ``true`` exactly when the listing has a non-empty ``hugging_face_id``.
- ``released`` is the UTC date of the listing's ``created`` (Unix seconds).
- ``name`` is the listing's ``name`` without its ``"Lab: "`` prefix.
- **Authors.** ``authors.csv`` is copied byte for byte from ``--authors FILE``, else from the
  ``authors.csv`` already in the output folder, else from ``data/authors.csv``. An author with no
  row there stops the fetch with one message listing each such author and its models: no country
  is guessed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from tokenrace.snapshot import contract as c
from tokenrace.snapshot.paths import DEFAULT_DATA_DIR
from tokenrace.sources.fetch.settings import FetchError
from tokenrace.sources.fetch.weeks import WeeklyRow, Weeks, fold_variants, strip_variant


def usd_per_mtok(value: Any) -> str | None:
    """A models-API price (USD per token, usually a string) as text in USD per million tokens.

    Exact decimal arithmetic, written plainly (``"0.0000018"`` -> ``"1.8"``). None when the
    price is missing, not a number, or negative (OpenRouter lists ``-1`` for variable prices).
    """
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not price.is_finite() or price < 0:
        return None
    return format((price * 1_000_000).normalize(), "f")


def _preference(listing: dict[str, Any]) -> tuple[bool, bool, str]:
    ident = listing["id"]
    return (ident.startswith("~"), ":" in ident, ident)


class Catalogue(Protocol):
    """Where a snapshot's models come from: which model a permaslug is, and its ``models.csv``
    row. ``name`` says where, in messages (``the models API``, ``data/models.csv``)."""

    name: str

    def model(self, permaslug: str) -> str | None:
        """The model slug of a usage permaslug (variant suffix ignored), or None if unknown."""
        ...

    def row(self, model: str, as_of: str) -> dict[str, str]:
        """The ``models.csv`` row of a model :meth:`model` returned (prices in USD per million
        tokens), for a snapshot as of the ISO date ``as_of``."""
        ...


class ModelIndex:
    """The models API's listings, looked up by a usage permaslug (a :class:`Catalogue`).

    ``source`` names the response in messages (``GET .../models``).
    """

    name = "the models API"

    def __init__(self, listings: list[dict[str, Any]], source: str = "the models API"):
        self.source = source
        self.by_canonical: dict[str, list[dict[str, Any]]] = {}
        self.by_id: dict[str, list[dict[str, Any]]] = {}
        self.chosen: dict[str, dict[str, Any]] = {}
        for listing in listings:
            canonical = listing.get("canonical_slug")
            if not isinstance(canonical, str) or not canonical:
                canonical = listing["id"]
            self.by_canonical.setdefault(strip_variant(canonical), []).append(listing)
            self.by_id.setdefault(strip_variant(listing["id"]), []).append(listing)

    def listing(self, permaslug: str) -> dict[str, Any] | None:
        """The preferred listing for a permaslug (variant suffix ignored), or None."""
        base = strip_variant(permaslug)
        found = self.by_canonical.get(base) or self.by_id.get(base)
        return min(found, key=_preference) if found else None

    def model(self, permaslug: str) -> str | None:
        """The model slug: the preferred listing's ``id`` without its variant suffix."""
        listing = self.listing(permaslug)
        if listing is None:
            return None
        model = strip_variant(listing["id"])
        self.chosen[model] = listing
        return model

    def row(self, model: str, as_of: str) -> dict[str, str]:
        """The ``models.csv`` row made from the model's listing (rules: this module)."""
        return _model_row(model, self.chosen[model], as_of, self.source)


def _model_row(model: str, listing: dict[str, Any], as_of: str, source: str) -> dict[str, str]:
    bad = f"malformed response from {source}: the listing {listing['id']!r}"
    created = listing.get("created")
    if isinstance(created, bool) or not isinstance(created, int | float) or created < 0:
        raise FetchError(f"{bad} has no 'created' time (Unix seconds): {created!r}")
    name = listing.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if ": " in name:
        name = name.split(": ", 1)[1].strip()
    variant = listing["id"].partition(":")[2]
    if variant and name.lower().endswith(f"({variant.lower()})"):
        name = name[: -len(variant) - 2].strip()
    hugging_face = listing.get("hugging_face_id")
    pricing = listing.get("pricing") if isinstance(listing.get("pricing"), dict) else {}
    source_text = f"OpenRouter models API, as of {as_of}"
    prices = {}
    notes = []
    for column, key, label in (
        ("input_usd_per_mtok", "prompt", "input"),
        ("output_usd_per_mtok", "completion", "output"),
    ):
        value = usd_per_mtok(pricing.get(key)) if not variant else None
        prices[column] = value or ""
        if value is None:
            if variant:
                notes.append(f"{label} price not recorded: only the :{variant} listing exists")
            else:
                notes.append(
                    f"{label} price not recorded: pricing.{key} is {pricing.get(key)!r}, "
                    "not a non-negative number"
                )
    if notes:
        source_text += "; " + "; ".join(notes)
    return {
        "model": model,
        "name": name or model,
        "author": model.split("/", 1)[0],
        "open_weights": "true"
        if isinstance(hugging_face, str) and hugging_face.strip()
        else "false",
        "released": datetime.fromtimestamp(created, UTC).date().isoformat(),
        **prices,
        "price_source": source_text,
    }


@dataclass
class Tables:
    """The snapshot's weekly and models rows, and what was folded on the way.

    ``variants`` maps a model to its variant permaslugs; ``free_folded`` a ``:free`` permaslug
    to the tokens it added to its model's ``free_tokens``; ``unlisted`` an unlisted permaslug to
    the tokens counted in ``other`` (all in the kept weeks).
    """

    weekly: list[WeeklyRow]
    models: list[dict[str, str]]
    slug_map: dict[str, str]
    variants: dict[str, list[str]]
    free_folded: dict[str, int]
    unlisted: dict[str, int]


def build_tables(
    weeks: Weeks,
    catalogue: Catalogue,
    as_of: str,
    fold_unlisted: bool = False,
) -> Tables:
    """Map permaslugs to models, fold variants (sum tokens), and make the models rows."""
    slug_map: dict[str, str] = {}
    unlisted: dict[str, int] = {}
    for (_week, permaslug), tokens in weeks.tokens.items():
        if permaslug == c.OTHER:
            continue
        model = catalogue.model(permaslug)
        if model is None:
            unlisted[permaslug] = unlisted.get(permaslug, 0) + tokens
            continue
        slug_map[permaslug] = model
    if unlisted and not fold_unlisted:
        lines = "\n".join(
            f"  - {slug} ({tokens:,} tokens in the kept weeks)"
            for slug, tokens in sorted(unlisted.items())
        )
        raise FetchError(
            f"{len(unlisted)} model permaslug(s) in the usage data are not listed by "
            f"{catalogue.name}, so they have no name, author or release date:\n{lines}\n"
            "Rerun with --fold-unlisted to count their tokens in 'other' (recorded in "
            "datapackage.json)."
        )
    folded = fold_variants(weeks, slug_map)
    variants: dict[str, list[str]] = {}
    for permaslug, model in slug_map.items():
        if ":" in permaslug:
            variants.setdefault(model, []).append(permaslug)
    models = [catalogue.row(model, as_of) for model in sorted(set(slug_map.values()))]
    return Tables(
        weekly=folded.rows,
        models=models,
        slug_map=dict(sorted(slug_map.items())),
        variants={k: sorted(v) for k, v in sorted(variants.items())},
        free_folded=folded.free_folded,
        unlisted=dict(sorted(unlisted.items())),
    )


def read_authors(path: Path) -> tuple[bytes, set[str]]:
    """The bytes of an authors file and the author slugs it lists."""
    try:
        data = path.read_bytes()
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise FetchError(f"cannot read the authors file {path}: {err}") from None
    if not rows or "author" not in rows[0]:
        raise FetchError(f"the authors file {path} has no 'author' column or no rows")
    return data, {row["author"] for row in rows}


def authors_file(out: Path, explicit: Path | None) -> Path:
    """The authors file to copy: ``explicit``, else ``out``'s own, else ``data/authors.csv``."""
    if explicit is not None:
        return Path(explicit)
    if (out / c.AUTHORS_FILE).is_file():
        return out / c.AUTHORS_FILE
    return DEFAULT_DATA_DIR / c.AUTHORS_FILE


def check_authors(models: list[dict[str, str]], known: set[str], authors_path: Path) -> None:
    """Stop with one message listing every author (and its models) without a row in the file."""
    unknown: dict[str, list[str]] = {}
    for row in models:
        if row["author"] not in known:
            unknown.setdefault(row["author"], []).append(row["model"])
    if not unknown:
        return
    lines = "\n".join(f"  - {a}: {', '.join(sorted(m))}" for a, m in sorted(unknown.items()))
    raise FetchError(
        f"{len(unknown)} author(s) have no row in {authors_path}, so their country is unknown "
        f"(nothing is guessed):\n{lines}\n"
        "Add a row (author,lab,country,source) for each to an authors file, pass it with "
        "--authors FILE, and rerun with --resume."
    )
