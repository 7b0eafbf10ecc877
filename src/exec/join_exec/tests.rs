//! Unit tests of the join operators.
