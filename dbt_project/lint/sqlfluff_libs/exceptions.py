"""A stand-in for dbt's `exceptions` when sqlfluff renders the models. Only for linting."""


def raise_compiler_error(message):
    raise ValueError(message)
