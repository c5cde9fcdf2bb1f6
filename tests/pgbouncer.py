"""A transaction-pooling PgBouncer on 127.0.0.1 in front of a test database, for the tests.

Started by the tests that need it; they skip, saying why, only where it cannot start (PgBouncer
not installed: `apt-get install pgbouncer`). PgBouncer refuses to run as root, so under root it is
started with `-u postgres` and its files live in a folder that user can read.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import sqlalchemy as sa

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
)


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(port: int) -> bool:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def running_pgbouncer(database_url: str, *, pool_size: int = 2) -> Iterator[str]:
    """Yields the URL of `database_url`'s database through PgBouncer (pool_mode = transaction),
    or a string saying why it could not start. `pool_size` server connections serve all clients,
    so a client's consecutive transactions land on different server connections."""
    if PGBOUNCER is None:
        yield "PgBouncer is not installed (apt-get install pgbouncer)"
        return
    target = sa.make_url(database_url)
    port = _free_port()
    folder = Path(tempfile.mkdtemp(prefix="lms-pgbouncer-"))
    folder.chmod(0o755)
    command = [PGBOUNCER]
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            yield "PgBouncer will not run as root and there is no postgres user to run it as"
            return
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        command += ["-u", "postgres"]
    user = target.username or "postgres"
    (folder / "users.txt").write_text(f'"{user}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{target.database} = host={target.host or '127.0.0.1'} port={target.port or 5432}"
        f" dbname={target.database}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
        "server_reset_query =\nignore_startup_parameters = extra_float_digits,options\n"
    )
    for name in ("users.txt", "pgbouncer.ini"):
        (folder / name).chmod(0o644)
    process = subprocess.Popen(  # nosec B603  # a fixed program and arguments
        [*command, str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 20
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode(errors="replace") if process.poll() is not None else ""
                yield f"PgBouncer did not start on 127.0.0.1:{port}: {error.strip()[-300:]}"
                return
            time.sleep(0.05)
        yield target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    finally:
        process.stderr.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
