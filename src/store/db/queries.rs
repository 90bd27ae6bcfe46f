//! The store's queries. Each takes a connection and returns `QueryResult`;
//! callers run them off the async executor.

use diesel::prelude::*;

use super::connection::AnyConnection;
use super::models::{
    ItemDetail, NewProduct, NewPurchase, NewPurchaseItem, Product, Purchase, PurchaseDetail,
};
use super::schema::{products, purchase_items, purchases};

/// Every product, by id.
pub fn list_products(conn: &mut AnyConnection) -> QueryResult<Vec<Product>> {
    products::table
        .order(products::id.asc())
        .select(Product::as_select())
        .load(conn)
}

/// One purchase with its items, if it exists.
pub fn find_purchase(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<PurchaseDetail>> {
    let purchase = purchases::table
        .find(id)
        .select(Purchase::as_select())
        .first(conn)
        .optional()?;
    let Some(purchase) = purchase else {
        return Ok(None);
    };
    let items = items_between(conn, id, id)?;
    Ok(Some(PurchaseDetail { purchase, items }))
}

/// Up to `limit` purchases with ids above `after`, in id order, with their
/// items: one page of a keyset walk over every purchase.
pub fn purchases_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<PurchaseDetail>> {
    let purchases: Vec<Purchase> = purchases::table
        .filter(purchases::id.gt(after))
        .order(purchases::id.asc())
        .limit(limit)
        .select(Purchase::as_select())
        .load(conn)?;
    let (Some(first), Some(last)) = (purchases.first(), purchases.last()) else {
        return Ok(Vec::new());
    };

    let mut items = items_between(conn, first.id, last.id)?
        .into_iter()
        .peekable();
    let details = purchases
        .into_iter()
        .map(|purchase| {
            let mut mine = Vec::new();
            while let Some(item) = items.next_if(|item| item.purchase_id == purchase.id) {
                mine.push(item);
            }
            PurchaseDetail {
                purchase,
                items: mine,
            }
        })
        .collect();
    Ok(details)
}

/// The items of purchases `first..=last`, ordered by purchase, then item.
fn items_between(conn: &mut AnyConnection, first: i64, last: i64) -> QueryResult<Vec<ItemDetail>> {
    purchase_items::table
        .inner_join(products::table)
        .filter(purchase_items::purchase_id.between(first, last))
        .order((purchase_items::purchase_id.asc(), purchase_items::id.asc()))
        .select((
            purchase_items::purchase_id,
            products::id,
            products::name,
            products::price_cents,
            purchase_items::quantity,
        ))
        .load(conn)
}

/// Reads one row id from each table: fails unless the schema is there.
pub fn check_schema(conn: &mut AnyConnection) -> QueryResult<()> {
    products::table
        .select(products::id)
        .limit(1)
        .load::<i64>(conn)?;
    purchases::table
        .select(purchases::id)
        .limit(1)
        .load::<i64>(conn)?;
    purchase_items::table
        .select(purchase_items::id)
        .limit(1)
        .load::<i64>(conn)?;
    Ok(())
}

/// How many purchases there are.
pub fn count_purchases(conn: &mut AnyConnection) -> QueryResult<i64> {
    purchases::table.count().get_result(conn)
}

/// Inserts a product and returns its id.
pub fn insert_product(conn: &mut AnyConnection, product: &NewProduct<'_>) -> QueryResult<i64> {
    diesel::insert_into(products::table)
        .values(product)
        .returning(products::id)
        .get_result(conn)
}

/// Inserts a purchase with its items and returns its id.
pub fn insert_purchase(
    conn: &mut AnyConnection,
    purchase: &NewPurchase<'_>,
    items: &[(i64, i32)],
) -> QueryResult<i64> {
    conn.transaction(|conn| {
        let id = diesel::insert_into(purchases::table)
            .values(purchase)
            .returning(purchases::id)
            .get_result(conn)?;
        for &(product_id, quantity) in items {
            diesel::insert_into(purchase_items::table)
                .values(&NewPurchaseItem {
                    purchase_id: id,
                    product_id,
                    quantity,
                })
                .execute(conn)?;
        }
        Ok(id)
    })
}
