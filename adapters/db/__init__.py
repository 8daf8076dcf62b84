"""Tortoise ORM storage: tables, repositories, the unit of work and migrations.

Each feature owns one tortoise *app* (`people`, `officehours`, ...) with its own table module and
its own migrations package, so features evolve their schema independently. Rows reference other
features' rows by UUID columns; integrity across features is enforced by the core's use cases.
"""
