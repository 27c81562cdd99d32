"""Leases: a job that must run on one replica at a time (two replicas stepping one experiment would promote it
twice, or alert twice for one incident) runs only where its lease is held. The database decides, so any number of
replicas on one PostgreSQL (or processes on one SQLite file) agree; a replica that dies loses its lease when the
lease runs out, and the next to ask takes it."""

import os
import socket
import uuid
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import Lease


def this_process() -> str:
    """A holder name unique to this process and readable in the table: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    """Take, renew and give up named leases for one holder."""

    def __init__(self, db: AppDatabase, holder: str | None = None) -> None:
        self.db = db
        self.holder = holder or this_process()

    async def acquire(self, name: str, ttl_s: float) -> bool:
        """Hold `name` for `ttl_s` more seconds: true when it was free, ran out, or is already ours (a renewal)."""
        now = utcnow()
        until = now + timedelta(seconds=ttl_s)
        async with writing(self.db), self.db.session() as s:
            taken = await s.execute(
                update(Lease)
                .where(Lease.name == name, or_(Lease.holder == self.holder, Lease.expires_at < now))
                .values(holder=self.holder, expires_at=until)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                await s.commit()
                return True
            s.add(Lease(name=name, holder=self.holder, expires_at=until))
            try:
                await s.commit()
            except IntegrityError:  # another holder has it, unexpired (or took it between our two statements)
                await s.rollback()
                return False
            return True

    async def release(self, name: str) -> None:
        """Give the lease up now (a clean shutdown), so another replica need not wait for it to run out."""
        async with writing(self.db), self.db.session() as s:
            await s.execute(
                update(Lease)
                .where(Lease.name == name, Lease.holder == self.holder)
                .values(expires_at=utcnow() - timedelta(seconds=1))
                .execution_options(synchronize_session=False)
            )
            await s.commit()
