"""Regions: the list seeded from data/regions.csv, the one query behind every region list, and a
region's name read as a plain row.

Kept apart from the account operations because every domain that filters or names by region
reads these, and none of them needs the rest.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from lms.accounts.models import Region
from lms.extensions import db

REGIONS_FILE = Path(__file__).resolve().parent / "data" / "regions.csv"


def seed_regions(path: Path = REGIONS_FILE) -> int:
    """Insert or update regions from the data file; returns how many rows were new."""
    existing = {region.code: region for region in db.session.scalars(sa.select(Region))}
    added = 0
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            region = existing.get(row["code"])
            if region is None:
                region = Region(code=row["code"])
                db.session.add(region)
                added += 1
            region.name_ru = row["name_ru"]
            region.name_en = row["name_en"]
            region.federal_district = row["federal_district"]
    db.session.flush()
    return added


def regions_query() -> sa.Select:
    """Every region in code order: the one query behind every region list, filter and choice."""
    return sa.select(Region).order_by(Region.code)


class RegionName(NamedTuple):
    """A region as a page names it (code and names), read without loading the model."""

    code: str
    name_ru: str
    name_en: str

    def display_name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_ru


_REGION_NAME = sa.select(Region.code, Region.name_ru, Region.name_en).where(
    Region.code == sa.bindparam("code")
)


def region_name(code: str) -> RegionName | None:
    """The region with this code, or None: one plain row for pages that only show its name."""
    row = db.session.connection().execute(_REGION_NAME, {"code": code}).first()
    return None if row is None else RegionName(*row)
