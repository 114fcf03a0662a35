{#-
    Primary-key test for a compound key: fails on every combination of the given columns that
    occurs more than once. Nulls compare equal here (as in `group by`), so a null key part does
    not hide a duplicate; pair it with `not_null` on the parts that must be present.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{{ duplicate_keys(model, combination_of_columns) }}

{% endtest %}
