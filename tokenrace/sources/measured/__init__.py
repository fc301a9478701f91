"""Measured sources turned into anchors, so that no measured value is typed by hand.

``python -m tokenrace sources import --raw DIR --out FILE`` reads raw public measurement files
and writes anchors in the columns of ``data/sources/anchors.csv`` (plus ``source_id``):

- ``ranking_files``: the weekly ranking files (``DIR/ranking-files/YYYY-MM-DD.json``): each
  listed model's tokens in one Monday-start UTC week, and its free (``:free``) tokens apart;
- ``readings``: the archived rankings-page readings (``DIR/rankings-page/YYYY-MM-DD/
  rankings.json``), week to date, checked and refused with a reason when broken;
- ``intervals``: what a reading implies, each as an interval from the rounding of its shares:
  the platform total, the listed models' coverage, each listed author's share (and, in
  ``readings``, each country's bounds from ``authors.csv``);
- ``aliases``: permaslugs mapped to the snapshot's model slugs (rules and ``aliases.csv``);
- ``manifest``: ``data/sources/manifest.csv``, one row per source id, validated;
- ``raw`` (JSON read with the path of every bad field), ``numbers`` (exact arithmetic, fixed
  decimals), and ``importer``, which ties them together and writes the files.

Units: tokens (prompt plus completion) as whole numbers in, billions of tokens out; shares in
percent of all tokens; prices, where read, in USD per token; weeks are ISO (Monday-start, UTC)
weeks named by their Monday. This package may import :mod:`tokenrace.snapshot` and
:mod:`tokenrace.sources` only.
"""
