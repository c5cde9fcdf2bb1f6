"""audit events: indexes for the log page's address and target filters

The audit log page filters by client address and by target (a username, a cohort name, a region
code: the recorded label) and lists newest first; each index serves one filter in time order, as
the action and actor indexes already do.

Revision ID: 09c4c6adce2c
Revises: b7e2c4d91f3a
Create Date: 2026-12-06 14:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "09c4c6adce2c"
down_revision = "b7e2c4d91f3a"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_address_at", ["address", "at"], unique=False)
        batch_op.create_index("ix_audit_events_target_label_at", ["target_label", "at"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_target_label_at")
        batch_op.drop_index("ix_audit_events_address_at")
