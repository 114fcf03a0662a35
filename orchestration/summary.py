"""The warehouse at a glance: rows per table, total cost by component, top customers."""

from __future__ import annotations

from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

COST_BY_COMPONENT = """
    select
        cost_component as component,
        sum(billed_cost_usd) as billed_cost_usd,
        sum(effective_cost_usd) as effective_cost_usd
    from marts.fct_infra_costs
    group by all
    order by billed_cost_usd desc
"""

TOP_CUSTOMERS = """
    select
        customer_id,
        sum(runs_started) as runs,
        sum(llm_calls) as llm_calls,
        sum(total_tokens) as tokens,
        sum(ai_cost_usd) as ai_cost_usd,
        sum(dedicated_infra_cost_usd) as dedicated_infra_cost_usd
    from marts.customer_daily_usage
    group by customer_id
    order by sum(ai_cost_usd) + sum(dedicated_infra_cost_usd) desc
    limit 5
"""


class WarehouseNotBuilt(Exception):
    """The warehouse file exists but dbt has not built the marts yet."""


def _table(title: str, columns: list[str], rows: list[tuple]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in columns[:1] else "right")
    for row in rows:
        table.add_row(
            *(
                f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)
                for v in row
            )
        )
    return table


def print_summary(warehouse_path: Path, console: Console) -> None:
    """Prints the summary of the warehouse at `warehouse_path`, opened read-only."""
    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        built = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' "
            "and table_name in ('fct_infra_costs', 'customer_daily_usage')"
        ).fetchall()[0][0]
        if built < 2:
            raise WarehouseNotBuilt(
                f"the warehouse {warehouse_path} has no marts yet: run `factory-warehouse build`"
            )
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts') order by 1, 2"
        ).fetchall()
        counts = [
            (
                f"{schema}.{name}",
                con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0],
            )
            for schema, name in relations
        ]
        components = con.execute(
            f"select component, billed_cost_usd::double, effective_cost_usd::double "
            f"from ({COST_BY_COMPONENT})"
        ).fetchall()
        customers = con.execute(
            f"select customer_id, runs, llm_calls, tokens, ai_cost_usd::double, "
            f"dedicated_infra_cost_usd::double from ({TOP_CUSTOMERS})"
        ).fetchall()
    console.print(_table("Rows per table", ["table", "rows"], counts))
    console.print(
        _table(
            "Total cost by component (FOCUS, USD)",
            ["component", "billed", "effective"],
            components,
        )
    )
    console.print(
        _table(
            "Top customers",
            ["customer", "runs", "LLM calls", "tokens", "AI cost (est.)", "dedicated infra"],
            customers,
        )
    )
