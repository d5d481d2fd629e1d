//! The storage conformance suite on PostgreSQL (`PORTAL_TEST_POSTGRES_URL`), every test in this
//! run's schema at the same time.

portal_core::storage_conformance!(optional: portal_adapters::testing::postgres_store().await);
