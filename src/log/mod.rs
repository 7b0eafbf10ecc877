//! The log: topics of partitions of segments, on disk in Kafka's RecordBatch v2 format.
