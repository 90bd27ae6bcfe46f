// @generated automatically by Diesel CLI.

diesel::table! {
    products (id) {
        id -> Int8,
        name -> Text,
        price_cents -> Int8,
    }
}

diesel::table! {
    purchase_items (id) {
        id -> Int8,
        purchase_id -> Int8,
        product_id -> Int8,
        quantity -> Int4,
    }
}

diesel::table! {
    purchases (id) {
        id -> Int8,
        created_at -> Timestamp,
        customer_name -> Nullable<Text>,
    }
}

diesel::joinable!(purchase_items -> products (product_id));
diesel::joinable!(purchase_items -> purchases (purchase_id));

diesel::allow_tables_to_appear_in_same_query!(products, purchase_items, purchases,);
