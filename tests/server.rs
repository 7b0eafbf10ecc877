//! The HTTP server over 127.0.0.1: ksqlDB's endpoints and JSON shapes, streaming push
//! queries, close-query and disconnects, basic authentication, bad requests, restarts.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use runnel::server::{Credentials, HttpClient, HttpResponse, Server, ServerConfig};
use serde_json::{Value, json};

const DELIMITED: &str = "application/vnd.ksqlapi.delimited.v1";
const PATIENCE: Duration = Duration::from_secs(30);

fn start(dir: &Path, credentials: Option<Credentials>) -> Server {
    Server::start(ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.to_path_buf(),
        credentials,
    })
    .expect("server starts")
}

fn client(server: &Server) -> HttpClient {
    HttpClient::new(&format!("http://{}", server.local_addr())).expect("client")
}

/// Runs `sql` on /ksql and returns the entities; fails the test on an error status.
fn ksql(client: &HttpClient, sql: &str) -> Vec<Value> {
    let response = client
        .post_json("/ksql", "application/json", &json!({"ksql": sql}))
        .expect("request");
    let status = response.status;
    let body = response.json().expect("json body");
    assert_eq!(status, 200, "{sql}: {body}");
    body.as_array().expect("array of entities").clone()
}

/// A pull query on /query-stream (delimited): the metadata and the rows.
fn pull(client: &HttpClient, sql: &str) -> (Value, Vec<Value>) {
    let response = client
        .post_json("/query-stream", DELIMITED, &json!({"sql": sql}))
        .expect("request");
    assert_eq!(response.status, 200, "{sql}");
    let mut lines = response
        .text()
        .expect("body")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("each line is JSON"))
        .collect::<Vec<_>>();
    assert!(!lines.is_empty(), "{sql}: no metadata line");
    let metadata = lines.remove(0);
    (metadata, lines)
}

fn next_json(response: &mut HttpResponse) -> Option<Value> {
    let line = response.next_line().expect("read a line")?;
    Some(serde_json::from_str(&line).expect("a JSON line"))
}

fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

const CREATE_CLICKS: &str = "CREATE STREAM clicks (visitor STRING KEY, page STRING, ms INT) \
    WITH (kafka_topic='clicks', value_format='JSON', partitions=1);";

#[test]
fn statements_inserts_and_queries_answer_in_ksqldb_shapes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), None);
    let client = client(&server);

    let created = ksql(&client, CREATE_CLICKS);
    assert_eq!(created[0]["@type"], "currentStatus");
    assert_eq!(created[0]["commandStatus"]["status"], "SUCCESS");
    assert_eq!(created[0]["commandStatus"]["message"], "Stream created");

    let inserts = client
        .request(
            "POST",
            "/inserts-stream",
            &[("Content-Type", DELIMITED)],
            b"{\"target\": \"CLICKS\"}\n{\"VISITOR\": \"ann\", \"PAGE\": \"/a\", \"MS\": 1}\n{\"visitor\": \"bob\", \"page\": \"/b\"}\n{\"NOPE\": 1}\n",
        )
        .expect("inserts");
    assert_eq!(inserts.status, 200);
    let acks: Vec<Value> = inserts
        .text()
        .expect("acks")
        .lines()
        .map(|l| serde_json::from_str(l).expect("ack JSON"))
        .collect();
    assert_eq!(acks[0], json!({"status": "ok", "seq": 0}));
    assert_eq!(acks[1], json!({"status": "ok", "seq": 1}));
    assert_eq!(acks[2]["status"], "error");
    assert_eq!(acks[2]["seq"], 2);
    assert!(
        acks[2]["message"].as_str().unwrap_or("").contains("NOPE"),
        "{}",
        acks[2]
    );

    ksql(
        &client,
        "INSERT INTO clicks (visitor, page, ms) VALUES ('ann', '/c', 3);",
    );
    // The table counts the rows already in the stream, not only new ones.
    ksql(&client, "SET 'auto.offset.reset'='earliest';");
    let started = ksql(
        &client,
        "CREATE TABLE visits AS SELECT visitor, COUNT(*) AS n FROM clicks GROUP BY visitor;",
    );
    let query_id = started[0]["commandStatus"]["queryId"]
        .as_str()
        .expect("the CTAS names its query")
        .to_string();

    let (metadata, rows) = pull(&client, "SELECT * FROM visits WHERE visitor = 'ann';");
    assert_eq!(metadata["columnNames"], json!(["VISITOR", "N"]));
    assert_eq!(metadata["columnTypes"], json!(["STRING", "BIGINT"]));
    assert_eq!(rows, vec![json!(["ann", 2])]);

    let query = client
        .post_json(
            "/query",
            "application/json",
            &json!({"ksql": "SELECT * FROM visits WHERE visitor = 'bob';", "streamsProperties": {}}),
        )
        .expect("request")
        .json()
        .expect("one JSON array");
    assert_eq!(
        query[0]["header"]["schema"],
        "`VISITOR` STRING KEY, `N` BIGINT"
    );
    assert_eq!(query[1]["row"]["columns"], json!(["bob", 1]));

    let as_array = client
        .post_json(
            "/query-stream",
            "application/json",
            &json!({"sql": "SELECT * FROM visits;"}),
        )
        .expect("request")
        .json()
        .expect("one JSON array");
    assert_eq!(as_array.as_array().map(Vec::len), Some(3), "{as_array}");

    let mut push = client
        .post_json(
            "/query-stream",
            DELIMITED,
            &json!({"sql": "SELECT visitor, page FROM clicks EMIT CHANGES LIMIT 2;",
                    "properties": {"auto.offset.reset": "earliest"}}),
        )
        .expect("request");
    assert_eq!(push.status, 200);
    let header = next_json(&mut push).expect("metadata");
    assert!(
        header["queryId"]
            .as_str()
            .is_some_and(|id| id.starts_with("transient"))
    );
    assert_eq!(next_json(&mut push), Some(json!(["ann", "/a"])));
    assert_eq!(next_json(&mut push), Some(json!(["bob", "/b"])));
    assert_eq!(next_json(&mut push), None, "LIMIT 2 ends the stream");

    let streams = ksql(&client, "SHOW STREAMS;");
    assert_eq!(streams[0]["@type"], "streams");
    let names: Vec<&str> = streams[0]["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"CLICKS"), "{names:?}");
    let queries = ksql(&client, "SHOW QUERIES;");
    assert_eq!(queries[0]["queries"][0]["id"], query_id.as_str());
    let described = ksql(&client, "DESCRIBE visits;");
    assert_eq!(described[0]["@type"], "sourceDescription");
    assert_eq!(
        described[0]["sourceDescription"]["fields"][0]["type"],
        "PRIMARY_KEY"
    );

    let info = client.request("GET", "/info", &[], b"").expect("info");
    assert_eq!(
        info.json().expect("json")["KsqlServerInfo"]["serverStatus"],
        "RUNNING"
    );
    let health = client
        .request("GET", "/healthcheck", &[], b"")
        .expect("health");
    assert_eq!(health.json().expect("json")["isHealthy"], true);
}

#[test]
fn push_query_streams_new_rows_until_closed_and_a_disconnect_frees_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), None);
    let client = client(&server);
    ksql(&client, CREATE_CLICKS);

    let mut push = client
        .post_json(
            "/query-stream",
            DELIMITED,
            &json!({"sql": "SELECT page FROM clicks WHERE ms > 10 EMIT CHANGES;"}),
        )
        .expect("request");
    let query_id = next_json(&mut push).expect("metadata")["queryId"]
        .as_str()
        .expect("query id")
        .to_string();
    assert_eq!(server.active_push_queries(), 1);
    ksql(
        &client,
        "INSERT INTO clicks (visitor, page, ms) VALUES ('a', '/slow', 50); \
         INSERT INTO clicks (visitor, page, ms) VALUES ('a', '/fast', 5);",
    );
    assert_eq!(next_json(&mut push), Some(json!(["/slow"])));

    let closed = client
        .post_json(
            "/close-query",
            "application/json",
            &json!({"queryId": query_id}),
        )
        .expect("close");
    assert_eq!(closed.status, 200);
    assert_eq!(next_json(&mut push), None, "close-query ends the stream");
    wait_until("the closed query to be freed", || {
        server.active_push_queries() == 0
    });
    let again = client
        .post_json(
            "/close-query",
            "application/json",
            &json!({"queryId": query_id}),
        )
        .expect("close again");
    assert_eq!(again.status, 400);

    let mut left = client
        .post_json(
            "/query-stream",
            DELIMITED,
            &json!({"sql": "SELECT * FROM clicks EMIT CHANGES;"}),
        )
        .expect("request");
    next_json(&mut left).expect("metadata");
    assert_eq!(server.active_push_queries(), 1);
    left.disconnect();
    wait_until("the abandoned query to be freed", || {
        server.active_push_queries() == 0
    });
    // The server goes on serving.
    assert_eq!(ksql(&client, "SHOW STREAMS;")[0]["@type"], "streams");
}

#[test]
fn basic_authentication_refuses_strangers_and_admits_the_user() {
    let dir = tempfile::tempdir().expect("temp dir");
    let credentials = Credentials::parse("ann:secret").expect("credentials");
    let server = start(dir.path(), Some(credentials));
    let anonymous = client(&server);
    let refused = anonymous
        .request("GET", "/info", &[], b"")
        .expect("request");
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic")),
        "{:?}",
        refused.headers
    );
    let wrong = client(&server).with_credentials(Some("ann:guess".into()));
    assert_eq!(
        wrong
            .request("GET", "/info", &[], b"")
            .expect("request")
            .status,
        401
    );
    let ann = client(&server).with_credentials(Some("ann:secret".into()));
    assert_eq!(
        ann.request("GET", "/info", &[], b"")
            .expect("request")
            .status,
        200
    );
    assert_eq!(ksql(&ann, "SHOW STREAMS;")[0]["@type"], "streams");
}

#[test]
fn bad_requests_get_clear_json_errors_and_the_server_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), None);
    let client = client(&server);

    let malformed = client
        .request(
            "POST",
            "/ksql",
            &[("Content-Type", "application/json")],
            b"{\"ksql\": ",
        )
        .expect("request");
    assert_eq!(malformed.status, 400);
    let body = malformed.json().expect("json error");
    let message = body["message"].as_str().unwrap_or("");
    assert!(
        message.contains("/ksql") && message.contains("line 1"),
        "{body}"
    );

    let missing_field = client
        .request("POST", "/query-stream", &[], b"{\"ksql\": \"SELECT 1;\"}")
        .expect("request");
    assert_eq!(missing_field.status, 400);
    assert!(missing_field.text().expect("body").contains("sql"));

    let unknown = client
        .request("GET", "/nowhere", &[], b"")
        .expect("request");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json().expect("json")["error_code"], 40400);

    let bad_statement = client
        .post_json(
            "/ksql",
            "application/json",
            &json!({"ksql": "CREATE STREAM;"}),
        )
        .expect("request");
    assert_eq!(bad_statement.status, 400);
    let body = bad_statement.json().expect("json");
    assert_eq!(body["@type"], "statement_error");
    assert_eq!(body["error_code"], 40001);

    let unknown_source = client
        .post_json(
            "/query-stream",
            DELIMITED,
            &json!({"sql": "SELECT * FROM nothing EMIT CHANGES;"}),
        )
        .expect("request");
    assert_eq!(unknown_source.status, 400);

    let no_target = client
        .request(
            "POST",
            "/inserts-stream",
            &[],
            b"{\"target\": \"NOTHING\"}\n{}\n",
        )
        .expect("request");
    assert_eq!(no_target.status, 400);

    assert_eq!(ksql(&client, "SHOW TABLES;")[0]["@type"], "tables");
}

#[test]
fn a_restarted_server_keeps_its_tables_and_their_queries() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let server = start(dir.path(), None);
        let client = client(&server);
        ksql(&client, CREATE_CLICKS);
        ksql(
            &client,
            "CREATE TABLE visits AS SELECT visitor, COUNT(*) AS n FROM clicks GROUP BY visitor;",
        );
        ksql(
            &client,
            "INSERT INTO clicks (visitor, page, ms) VALUES ('ann', '/a', 1);",
        );
        let (_, rows) = pull(&client, "SELECT * FROM visits;");
        assert_eq!(rows, vec![json!(["ann", 1])]);
        server.shutdown();
    }
    let server = start(dir.path(), None);
    let client = client(&server);
    let queries = ksql(&client, "SHOW QUERIES;");
    assert_eq!(
        queries[0]["queries"].as_array().map(Vec::len),
        Some(1),
        "{queries:?}"
    );
    ksql(
        &client,
        "INSERT INTO clicks (visitor, page, ms) VALUES ('ann', '/b', 2);",
    );
    let (_, rows) = pull(&client, "SELECT * FROM visits WHERE visitor = 'ann';");
    assert_eq!(
        rows,
        vec![json!(["ann", 2])],
        "the restarted query keeps counting"
    );
}

#[test]
fn concurrent_push_queries_share_one_source_read_while_rows_are_inserted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), None);
    let client = client(&server);
    ksql(&client, CREATE_CLICKS);
    let open = |sql: &str| {
        let mut push = client
            .post_json("/query-stream", DELIMITED, &json!({"sql": sql}))
            .expect("request");
        next_json(&mut push).expect("metadata");
        push
    };
    let mut every = open("SELECT page, ms FROM clicks EMIT CHANGES;");
    let mut slow_ones = open("SELECT visitor FROM clicks WHERE ms > 100 EMIT CHANGES;");
    assert_eq!(server.active_push_queries(), 2);
    let stats = server.shared_source_stats();
    assert_eq!(stats.len(), 1, "{stats:?}");
    assert_eq!(stats[0].subscribers, 2);

    let total = 40;
    for n in 0..total {
        ksql(
            &client,
            &format!(
                "INSERT INTO clicks (visitor, page, ms) VALUES ('v{n}', '/p{n}', {});",
                n * 10
            ),
        );
    }
    for n in 0..total {
        assert_eq!(
            next_json(&mut every),
            Some(json!([format!("/p{n}"), n * 10]))
        );
    }
    for n in 11..total {
        assert_eq!(next_json(&mut slow_ones), Some(json!([format!("v{n}")])));
    }
    let stats = server.shared_source_stats();
    assert_eq!(stats.len(), 1, "{stats:?}");
    assert_eq!(
        stats[0].records_decoded, total as u64,
        "each record decoded once for both queries"
    );

    every.disconnect();
    slow_ones.disconnect();
    wait_until("both queries to leave the shared read", || {
        server.active_push_queries() == 0 && server.shared_source_stats().is_empty()
    });
}

#[test]
fn the_remote_repl_completes_the_servers_names_and_refreshes_them_after_ddl() {
    use runnel::repl::backend::Backend;
    use runnel::repl::complete::CompletionWords;
    use runnel::repl::remote::RemoteBackend;

    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), None);
    let url = format!("http://{}", server.local_addr());
    let backend = RemoteBackend::connect(&url, None, false).expect("connect");
    let words = CompletionWords::default();
    backend.after_statement(&words);
    assert!(words.candidates("CLI").is_empty());
    assert!(
        words.candidates("ucas").contains(&"UCASE".to_string()),
        "the server's functions"
    );

    assert!(backend.run_text(CREATE_CLICKS));
    backend.after_statement(&words);
    assert_eq!(
        words.candidates("CLI"),
        vec!["CLICKS".to_string(), "clicks".to_string()],
        "the stream and its topic"
    );
    assert_eq!(words.candidates("visi"), vec!["VISITOR".to_string()]);
    assert!(words.candidates("pa").contains(&"PAGE".to_string()));

    assert!(backend.run_text(
        "CREATE TABLE page_counts AS SELECT page, COUNT(*) AS hits FROM clicks GROUP BY page;"
    ));
    backend.after_statement(&words);
    assert!(
        words
            .candidates("PAGE_C")
            .contains(&"PAGE_COUNTS".to_string())
    );
    assert!(words.candidates("hit").contains(&"HITS".to_string()));
    let query_ids = ksql(&client(&server), "SHOW QUERIES;")[0]["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .filter_map(|q| q["id"].as_str().map(str::to_string))
        .collect::<Vec<_>>();
    assert_eq!(query_ids.len(), 1);
    assert_eq!(words.candidates(&query_ids[0]), query_ids);

    assert!(backend.run_text(&format!(
        "TERMINATE {}; DROP TABLE page_counts;",
        query_ids[0]
    )));
    backend.after_statement(&words);
    assert!(words.candidates("PAGE_C").is_empty(), "a dropped table");
    assert!(words.candidates("CLICKS").contains(&"CLICKS".to_string()));
}
