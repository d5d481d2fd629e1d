//! The storage conformance suite on PostgreSQL (`PORTAL_TEST_POSTGRES_URL`), each test in a
//! schema of its own under this run's (see `postgres_store_isolated` for why).

portal_core::storage_conformance!(optional: portal_adapters::testing::postgres_store_isolated().await);
