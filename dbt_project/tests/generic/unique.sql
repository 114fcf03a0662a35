{#-
    dbt's `unique`, through `duplicate_keys` (cheaper on large tables): fails on every value of
    the column that occurs more than once. Overrides the built-in test (the project's wins).
-#}
{% test unique(model, column_name) %}

{{ duplicate_keys(model, [column_name]) }}

{% endtest %}
