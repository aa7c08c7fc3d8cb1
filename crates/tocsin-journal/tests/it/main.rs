//! Integration tests of tocsin-journal, one binary: published vectors of RFC 6962 trees and Go
//! signed notes, properties against the RFC's recursive definitions, and a cross-check with the
//! independent Python verifier.

mod merkle_properties;
mod merkle_vectors;
mod note_vectors;
mod python_verifier;
mod support;
