-- Month-over-month change of volume, success rate, duration and cost, per month and customer,
-- and for the whole factory (`__all__`). See macros/kpi_trends.sql.
{{ kpi_trends_sql('month') }}
