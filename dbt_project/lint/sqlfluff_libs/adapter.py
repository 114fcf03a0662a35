"""A stand-in for dbt's `adapter` when sqlfluff renders the models with its jinja templater.

`adapter.dispatch('name', 'package')(...)` resolves to the project's `duckdb__name` macro,
else `default__name`, exactly as dbt does on DuckDB. Only for linting.
"""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    """The DuckDB implementation of a dispatched macro, else its default."""
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise KeyError(f"no duckdb__ or default__ implementation of {macro_name}")
