//! ksqlDB's function library, registered with DataFusion.
