//! `GET /info` and `GET /healthcheck`, in ksqlDB's shapes.

use axum::Json;
use serde_json::{Value, json};

pub async fn info() -> Json<Value> {
    Json(json!({
        "KsqlServerInfo": {
            "version": env!("CARGO_PKG_VERSION"),
            "kafkaClusterId": "runnel-embedded-log",
            "ksqlServiceId": "runnel",
            "serverStatus": "RUNNING",
        }
    }))
}

pub async fn healthcheck() -> Json<Value> {
    Json(json!({
        "isHealthy": true,
        "details": {
            "metastore": {"isHealthy": true},
            "kafka": {"isHealthy": true},
        }
    }))
}
