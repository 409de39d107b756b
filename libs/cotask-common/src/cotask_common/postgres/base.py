from __future__ import annotations

import threading
from typing import Any

from django.db.backends.postgresql import base

_ready: set[tuple[str, str, str]] = set()
_lock = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
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
