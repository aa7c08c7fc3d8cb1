//! CAP 1.2 (OASIS Common Alerting Protocol) for tocsin: the alert model, a lenient reader for
//! the alerts other agencies publish (CAP 1.2 and 1.1), a writer whose XML is valid against the
//! CAP 1.2 schema, a JSON form, and validation rules beyond the schema.
