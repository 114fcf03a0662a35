-- Week-over-week change of volume, success rate, duration and cost, per ISO week (Monday) and
-- customer, and for the whole factory (`__all__`). See macros/kpi_trends.sql.
{{ kpi_trends_sql('week') }}
