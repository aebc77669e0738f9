//! Tests of whole-file imports.
