-- One row per customer and month with everything the monthly customer report shows: runs,
-- success rate, p95 duration, cost by component and by model, tokens, top templates, change
-- versus the previous month, budget consumed. See macros/monthly_report.sql.
{{ monthly_report_sql('customer') }}
