//! Tests of the catalogue loader.
