DROP TABLE purchase_items;
DROP TABLE purchases;
DROP TABLE products;
