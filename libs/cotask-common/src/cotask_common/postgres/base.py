from __future__ import annotations

import logging
import threading
import time
from typing import Any

import psycopg
from django.db.backends.postgresql import base

logger = logging.getLogger("cotask.outages")

# A new connection refused while PostgreSQL restarts or fails over is tried again after these
# pauses (about a second in all) before the request gets its 503: a restart that takes less
# costs the requests of that second a wait, not an error.
CONNECT_RETRY_PAUSES = (0.25, 0.75)

_ready: set[tuple[str, str, str]] = set()
_lock = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        for pause in CONNECT_RETRY_PAUSES:
            try:
                connection = super().get_new_connection(conn_params)
                break
            except psycopg.OperationalError as exc:
                logger.warning("database unavailable: %s; connecting again in %.2f s", exc, pause)
                time.sleep(pause)
        else:
            connection = super().get_new_connection(conn_params)
        schema = self.settings_dict.get("COTASK_SCHEMA")
        # Django's maintenance connections (to the `postgres` database) need no schema.
        if schema and conn_params.get("dbname") != "postgres":
            marker = (str(self.settings_dict.get("HOST")), str(conn_params.get("dbname")), schema)
            if marker not in _ready:
                with _lock:
                    with connection.cursor() as cursor:
                        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                    if not connection.autocommit:
                        connection.commit()
                    _ready.add(marker)
        return connection
