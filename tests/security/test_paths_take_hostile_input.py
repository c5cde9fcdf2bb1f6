"""Bad addresses get a clear answer, never a server error: each part of every address the pages
reach (course folders, file paths, keys, ids) is replaced, one at a time, with a hostile part, and
sent as GET and POST by an admin (who reaches most pages) and by an instructor (the authoring pages).

The addresses come from the GET walk of test_get_is_safe over the same school, so a new page is
covered as soon as it exists.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from tests.security.getwalk import walk
from tests.security.test_get_is_safe import school  # noqa: F401 (the walk's school, a fixture)

# A name longer than any file system takes (NAME_MAX is 255 bytes), bytes that are not UTF-8, a
# NUL with a folder climb, and a number no column holds.
HOSTILE_PARTS = [quote("я" * 200), "%ff%fe", "%00..%2f..%2fetc", "9" * 40]
WHO = ("root", "igor")


def test_every_address_answers_hostile_parts_without_a_server_error(school):  # noqa: F811
    urls, browsers = school
    visits = walk({who: browsers[who] for who in WHO}, urls)
    shapes: dict[str, str] = {}
    for visit in visits:
        path = visit.url.split("?", 1)[0]
        shapes.setdefault(re.sub(r"\d+", "N", path), path)
    failed = []
    for who in WHO:
        for path in shapes.values():
            parts = path.split("/")
            for index, part in enumerate(parts):
                if not part:
                    continue
                for hostile in HOSTILE_PARTS:
                    address = "/".join([*parts[:index], hostile, *parts[index + 1 :]])
                    for method in ("get", "post"):
                        response = getattr(browsers[who], method)(address)
                        response.close()
                        if response.status_code >= 500:
                            failed.append(f"{who} {method.upper()} {address[:100]}: {response.status_code}")
    assert len(shapes) > 100  # the walk reached the pages it claims to
    assert not failed, "server errors:\n" + "\n".join(failed[:40])
