//! CAP 1.2 (OASIS Common Alerting Protocol) for tocsin: the alert model, a lenient reader for
//! the alerts other agencies publish (CAP 1.2 and 1.1), a writer whose XML is valid against the
//! CAP 1.2 schema, a JSON form, and validation rules beyond the schema.

pub mod atom;
pub mod feed_in;
pub mod findings;
pub mod geometry;
pub mod model;
pub mod read;
pub mod signature;
pub mod validate;
pub mod write;
mod xml;

pub use findings::{Finding, Level};
pub use model::*;
pub use read::{Read, read};
pub use validate::validate;
pub use write::to_xml;
