"""seed the subjects of the Russian Federation

Revision ID: 5c1d2e7a9b01
Revises: 3a908123184b
Create Date: 2026-11-25 18:30:00

"""

import csv
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "5c1d2e7a9b01"
down_revision = "3a908123184b"
branch_labels = None
depends_on = None

REGIONS_CSV = Path(__file__).resolve().parents[2] / "lms" / "accounts" / "data" / "regions.csv"

regions = sa.table(
    "regions",
    sa.column("code", sa.String),
    sa.column("name_ru", sa.String),
    sa.column("name_en", sa.String),
    sa.column("federal_district", sa.String),
)


def upgrade():
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    op.bulk_insert(regions, rows)


def downgrade():
    op.execute(regions.delete())
