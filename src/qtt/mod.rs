//! The runner of ksqlDB QTT/RQTT test files behind `runnel test`.

pub mod compare;
pub mod model;
pub mod responses;
pub mod runner;
pub mod suite;
