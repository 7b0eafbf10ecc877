//! Record formats (JSON, DELIMITED, KAFKA, NONE) decoded to and encoded from Arrow.
