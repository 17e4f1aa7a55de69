"""The application surface the bot calls: one feature per module, plain data in and out.

Each service is built once in `core.bootstrap`; each method is one use case, usually one unit
of work, taking and returning frozen keyword-only dataclasses so no ORM row leaves `core/`.
"""
