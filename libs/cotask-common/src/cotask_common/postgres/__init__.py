"""A PostgreSQL backend that keeps each service inside its own schema.

It is Django's backend plus one step: on the first connection to a database, the service's schema
(`DATABASE_SCHEMA`, by default the service name) is created if missing. The connection's
`search_path` names only that schema, so tables (`django_migrations` included) are created there.
"""
