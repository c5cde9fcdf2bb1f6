"""Progress events that domains above progress follow without progress importing them.

Certificates connect to `enrolment_progressed` (lms.certificates.services): a course may have
become complete under its rule, or stopped being so after an undone item or a content change.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the enrolment as sender, in the same transaction, whenever its completed items were
# counted again: a lesson read, a quiz graded, a scenario finished, an assignment accepted, an
# item undone, or the course's items changed on import.
enrolment_progressed = _signals.signal("enrolment-progressed")
