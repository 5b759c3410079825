"""Who may use the embedded PostgreSQL: the holder of its per-home secret, and no process left behind.

pgserver creates its cluster with `trust` authentication: any local connection is the superuser,
without a password, and a superuser can run shell commands as the server's user. Here each cluster
gets a random secret kept beside its folder (`<data_dir>.secret`, mode 0600, readable by the user
running the project alone); the `postgres` role's password is set to it and every pg_hba rule asks
for it (`scram-sha-256`). A cluster still on `trust` (every cluster pgserver created) is migrated
when it starts. The server never sees the secret itself: it is given a SCRAM verifier.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import secrets
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scramp import ScramMechanism

PASSWORD_METHOD = "scram-sha-256"
HBA_FILE = "pg_hba.conf"
# pgserver's list of the processes using a server (a JSON list of pids, `pgserver.utils.DiskList`).
HANDLE_PIDS = ".handle_pids.json"
SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)
VERIFIER = re.compile(r"SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+")
# pg_hba columns: `local DATABASE USER METHOD` or `host* DATABASE USER ADDRESS [MASK] METHOD`, so no
# method comes before the fourth column; names there ("trust" as a user) are left alone.
FIRST_METHOD_COLUMN = 3
SECRET_READY_WITHIN = 10.0  # seconds for a reload to reach the postmaster before start-up gives up


class EmbeddedAuthError(RuntimeError):
    """The embedded PostgreSQL's secret cannot be trusted or its password rule could not be set."""


def secret_file(data_dir: Path) -> Path:
    """Where the secret of the cluster in `data_dir` lives: beside the folder, not in it (the server's)."""
    data_dir = data_dir.resolve()
    return data_dir.with_name(f"{data_dir.name}.secret")


def embedded_secret(data_dir: Path) -> str:
    """The cluster's secret, created (random, mode 0600) on first use; concurrent creators agree on one."""
    path = secret_file(data_dir)
    if not path.exists():
        _create_secret(path)
    info = path.stat()
    if info.st_mode & 0o077 or info.st_uid != os.geteuid():
        raise EmbeddedAuthError(
            f"{path} must be owned by uid {os.geteuid()} and readable by it alone (chmod 600); "
            f"it is uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):o}"
        )
    secret = path.read_text().strip()
    if not secret:
        raise EmbeddedAuthError(f"{path} is empty; the warehouse's password cannot be known")
    return secret


def _create_secret(path: Path) -> None:
    # Written whole under a temporary name (mkstemp makes it 0600), then linked: the link is atomic and
    # never replaces a file, so a racing process keeps the first secret and nobody reads half of one.
    handle, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_urlsafe(32))
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        os.unlink(draft)


def scram_verifier(secret: str, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for password `secret` (its `pg_authid` format)."""
    salt, stored_key, server_key, iterations = ScramMechanism("SCRAM-SHA-256").make_auth_info(
        secret, iteration_count=SCRAM_ITERATIONS, salt=salt
    )
    b64 = [base64.b64encode(part).decode("ascii") for part in (salt, stored_key, server_key)]
    return f"SCRAM-SHA-256${iterations}:{b64[0]}${b64[1]}:{b64[2]}"


def _rules(text: str) -> list[tuple[int, list[str]]]:
    """(line number, columns) of each rule in pg_hba text; comments and blank lines are no rules."""
    columns = [line.split("#", 1)[0].split() for line in text.splitlines()]
    return [(number, rule) for number, rule in enumerate(columns) if rule]


def hba_allows_trust(text: str) -> bool:
    """Whether any rule of pg_hba `text` lets a client in without a password (`trust`)."""
    return any("trust" in columns[FIRST_METHOD_COLUMN:] for _, columns in _rules(text))


def hba_demanding_password(text: str) -> str:
    """pg_hba `text` with `trust` replaced by `scram-sha-256` in every rule; comments and layout kept."""
    lines = text.splitlines(keepends=True)
    for number, columns in _rules(text):
        if "trust" in columns[FIRST_METHOD_COLUMN:]:
            rule, _, comment = lines[number].partition("#")
            head, method, tail = rule.rpartition("trust")  # the method is the last "trust" of the rule
            lines[number] = head + PASSWORD_METHOD + tail + ("#" + comment if comment else "")
    return "".join(lines)


def _replace_keeping_owner(path: Path, text: str) -> None:
    """Replace `path` atomically by `text`, with its owner and mode (the server's file, also when we are root)."""
    info = path.stat()
    handle, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(draft, stat.S_IMODE(info.st_mode))
        if os.stat(draft).st_uid != info.st_uid:
            os.chown(draft, info.st_uid, info.st_gid)
        os.replace(draft, path)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise


def require_password(data_dir: Path, secret: str, connect: Callable[[str], Any]) -> None:
    """Make the running cluster in `data_dir` ask every client for `secret`, and check that `secret` opens it.

    `connect(password)` opens a connection to it. The password is set before pg_hba changes, so a run
    stopped half-way finds `trust` again and redoes both; the verifier, not the secret, reaches the server.
    """
    hba = data_dir / HBA_FILE
    text = hba.read_text()
    if hba_allows_trust(text):
        _migrate_to_password(hba, text, secret, connect)
    try:
        connect(secret).close()
    except Exception as refused:
        if not _login_refused(refused):
            raise
        raise EmbeddedAuthError(
            f"the secret in {secret_file(data_dir)} is not the password of the cluster in {data_dir} (replaced, "
            f"or restored from another home?). To set it anew, change scram-sha-256 back to trust in {hba}, "
            "stop every process using this warehouse (the server stops with the last) and start again."
        ) from None


def _migrate_to_password(hba: Path, text: str, secret: str, connect: Callable[[str], Any]) -> None:
    verifier = scram_verifier(secret)
    if not VERIFIER.fullmatch(verifier):  # it is quoted into the statement: ALTER ROLE takes no parameters
        raise EmbeddedAuthError("the SCRAM verifier has an unexpected form")
    with contextlib.closing(connect(secret)) as conn:  # under `trust` the password is not asked for
        cursor = conn.cursor()
        cursor.execute(f"ALTER ROLE postgres PASSWORD '{verifier}'")
        conn.commit()
        _replace_keeping_owner(hba, hba_demanding_password(text))
        cursor.execute("SELECT pg_reload_conf(), (SELECT COUNT(*) FROM pg_hba_file_rules WHERE error IS NOT NULL)")
        errors = cursor.fetchone()[1]
        conn.commit()
    if errors:
        raise EmbeddedAuthError(f"{hba} has {errors} rule(s) PostgreSQL cannot read; see its log")
    _wait_until_password_is_demanded(connect)


def _login_refused(error: Exception) -> bool:
    return "28P01" in str(error)  # the driver's error for a failed login carries SQLSTATE 28P01


def _wait_until_password_is_demanded(connect: Callable[[str], Any]) -> None:
    # The postmaster rereads pg_hba when the reload signal reaches it, a moment later: start-up returns
    # only once a wrong password is refused, so nothing connects meanwhile under `trust`.
    deadline = time.monotonic() + SECRET_READY_WITHIN
    while time.monotonic() < deadline:
        try:
            connect(secrets.token_urlsafe(16)).close()
        except Exception as refused:
            if _login_refused(refused):
                return
            raise
        time.sleep(0.05)
    raise EmbeddedAuthError(f"the embedded PostgreSQL admits any password {SECRET_READY_WITHIN:.0f} s after reload")


def drop_dead_handles(data_dir: Path) -> list[int]:
    """Remove from pgserver's handle file the pids that no longer run; returns the pids dropped.

    pgserver stops the server when the last process in that list exits, and a killed process never
    removes itself, so its pid kept the server running forever. pgserver has no API to prune the list:
    this rewrites it with its own `DiskList`. Call it under pgserver's start-up lock. A dead pid reused
    by an unrelated process stays (as before); only the stop is then postponed.
    """
    from pgserver.utils import DiskList, process_is_running

    handles = DiskList(data_dir / HANDLE_PIDS)
    try:
        pids = handles.get()
    except ValueError:  # cut short by a kill while pgserver rewrote it; pgserver would fail on it at every start
        pids = []  # who else uses the server is unknown then: the last of *us* to exit may stop it under them
        handles.put(pids)
    dead = [pid for pid in pids if not process_is_running(pid)]
    if dead:
        handles.put([pid for pid in pids if pid not in dead])
    return dead
