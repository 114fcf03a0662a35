with

source as (

    select
        *,
        -- fingerprint of the cost row's content without the lineage of the file that carried
        -- it: an identical row in a re-exported file has the same hash (FOCUS has no row key)
        {{ row_fingerprint(
            source('focus', 'focus_costs'),
            ['_source_file', '_file_sha256', '_line_number', '_loaded_at', 'load_date']
        ) }} as focus_row_hash,
        -- the tags read below, parsed once
        {{ json_extract_texts(
            'Tags', ['factory:customer', 'factory:component', 'factory:worker-pool']
        ) }} as read_tags

    from {{ source('focus', 'focus_costs') }}

),

renamed as (

    select

        ----------  ids
        focus_row_hash,
        BillingAccountId as billing_account_id,
        SubAccountId as sub_account_id,
        InvoiceId as invoice_id,
        ResourceId as resource_id,
        SkuId as sku_id,
        SkuPriceId as sku_price_id,
        RegionId as region_id,
        CommitmentDiscountId as commitment_discount_id,
        CapacityReservationId as capacity_reservation_id,
        {{ json_field('read_tags', 'factory:customer') }} as tag_customer_id,

        ---------- strings
        ProviderName as provider_name,
        PublisherName as publisher_name,
        InvoiceIssuerName as invoice_issuer_name,
        HostProviderName as host_provider_name,
        ServiceProviderName as service_provider_name,
        BillingAccountName as billing_account_name,
        BillingAccountType as billing_account_type,
        SubAccountName as sub_account_name,
        SubAccountType as sub_account_type,
        BillingCurrency as billing_currency,
        PricingCurrency as pricing_currency,
        ChargeCategory as charge_category,
        ChargeClass as charge_class,
        ChargeDescription as charge_description,
        ChargeFrequency as charge_frequency,
        ServiceCategory as service_category,
        ServiceSubcategory as service_subcategory,
        ServiceName as service_name,
        ResourceName as resource_name,
        ResourceType as resource_type,
        RegionName as region_name,
        AvailabilityZone as availability_zone,
        SkuMeter as sku_meter,
        SkuPriceDetails as sku_price_details,
        PricingCategory as pricing_category,
        PricingUnit as pricing_unit,
        ConsumedUnit as consumed_unit,
        CommitmentDiscountCategory as commitment_discount_category,
        CommitmentDiscountName as commitment_discount_name,
        CommitmentDiscountStatus as commitment_discount_status,
        CommitmentDiscountType as commitment_discount_type,
        CommitmentDiscountUnit as commitment_discount_unit,
        CapacityReservationStatus as capacity_reservation_status,
        Tags as tags_json,
        {{ json_field('read_tags', 'factory:component') }} as tag_component,
        {{ json_field('read_tags', 'factory:worker-pool') }} as tag_worker_pool,
        extra_columns_json,

        ---------- numerics
        -- costs in the billing currency, exact decimals
        BilledCost as billed_cost,
        EffectiveCost as effective_cost,
        ListCost as list_cost,
        ContractedCost as contracted_cost,
        -- the same in USD; no exchange rates are kept, so null for any other billing currency
        case when BillingCurrency = 'USD' then BilledCost end as billed_cost_usd,
        case when BillingCurrency = 'USD' then EffectiveCost end as effective_cost_usd,
        ConsumedQuantity as consumed_quantity,
        PricingQuantity as pricing_quantity,
        ListUnitPrice as list_unit_price,
        ContractedUnitPrice as contracted_unit_price,
        CommitmentDiscountQuantity as commitment_discount_quantity,

        ---------- booleans
        -- LLM provider invoices: the AI cost of a call is estimated from telemetry instead
        coalesce(ServiceCategory = 'AI and Machine Learning', false) as is_ai_service,

        ---------- dates
        cast(ChargePeriodStart as date) as charge_date,

        ---------- timestamps
        BillingPeriodStart as billing_period_start_at,
        BillingPeriodEnd as billing_period_end_at,
        ChargePeriodStart as charge_period_start_at,
        ChargePeriodEnd as charge_period_end_at,

        ---------- lineage
        _source_file,
        _file_sha256,
        _line_number,
        _loaded_at,
        load_date

    from source

)

select * from renamed
