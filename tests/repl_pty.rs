//! The REPL in a real pseudo-terminal (made by util-linux `script`): typing statements,
//! tab completion, a push query streaming rows, and Ctrl-C stopping the query while
//! the REPL goes on.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the test waits for any expected output before failing.
const TIMEOUT: Duration = Duration::from_secs(60);

struct Terminal {
    child: Child,
    keyboard: ChildStdin,
    screen: Arc<Mutex<String>>,
}

impl Terminal {
    fn start(data_dir: &std::path::Path) -> Terminal {
        let command = format!(
            "exec '{}' --data-dir '{}'",
            env!("CARGO_BIN_EXE_runnel"),
            data_dir.display()
        );
        let mut child = Command::new("script")
            .args(["-qfec", &command, "/dev/null"])
            .env("TERM", "xterm")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start `script` (util-linux) to get a pseudo-terminal");
        let keyboard = child.stdin.take().expect("stdin");
        let mut output = child.stdout.take().expect("stdout");
        let screen = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = output.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buf[..n]).to_string();
                sink.lock().expect("screen lock").push_str(&text);
            }
        });
        Terminal {
            child,
            keyboard,
            screen,
        }
    }

    fn type_keys(&mut self, keys: &str) {
        self.keyboard.write_all(keys.as_bytes()).expect("type");
        self.keyboard.flush().expect("flush");
    }

    fn screen(&self) -> String {
        self.screen.lock().expect("screen lock").clone()
    }

    /// Waits until `needle` has appeared `count` times on the screen.
    fn wait_for_count(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let screen = self.screen();
            if screen.matches(needle).count() >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?} x{count}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_for(&self, needle: &str) {
        self.wait_for_count(needle, 1);
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn repl_streams_a_push_query_and_survives_ctrl_c() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut term = Terminal::start(dir.path());
    term.wait_for("runnel> ");
    term.type_keys(
        "CREATE STREAM s (id STRING KEY, v INT)\r WITH (kafka_topic='s', value_format='JSON', partitions=1);\r",
    );
    term.wait_for("Created S.");
    term.type_keys("SET 'auto.offset.reset'='earliest';\r");
    term.wait_for("Set auto.offset.reset.");
    term.type_keys("INSERT INTO s (id, v) VALUES ('a', 1);\r");
    term.wait_for("Inserted a row into S.");

    term.type_keys("SELECT id, v FROM s EMIT CHANGES;\r");
    term.wait_for("Press Ctrl-C to stop the query.");
    term.wait_for("|a|1|");
    // Ctrl-C, as the terminal sends it: the line discipline turns it into SIGINT.
    term.type_keys("\u{3}");
    term.wait_for("Query terminated");

    // The REPL is still there; Tab completes QUERI to QUERIES.
    term.type_keys("SHOW QUERI\t;\r");
    term.wait_for("Query ID");
    term.type_keys("exit\r");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = term.child.try_wait().expect("wait") {
            assert!(
                status.success(),
                "exit status {status}; screen:\n{}",
                term.screen()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "REPL did not exit:\n{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let history = std::fs::read_to_string(dir.path().join("repl-history")).expect("history");
    assert!(history.contains("SHOW QUERIES"), "history: {history}");
}

#[test]
fn syntax_errors_point_at_the_place_and_the_session_goes_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut term = Terminal::start(dir.path());
    term.wait_for("runnel> ");
    term.type_keys("SHOW STREAMS WHERE;\r");
    term.wait_for("line 1, column 14");
    term.wait_for("^");
    term.type_keys("SHOW TOPICS;\r");
    term.wait_for("Kafka Topic");
    term.type_keys("exit\r");
}

impl Terminal {
    /// Waits for the REPL to exit and checks that it exited successfully.
    fn wait_for_exit(&mut self) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(
                    status.success(),
                    "exit status {status}; screen:\n{}",
                    self.screen()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "REPL did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn statements_span_lines_history_survives_a_restart_and_ctrl_d_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut term = Terminal::start(dir.path());
    term.wait_for("runnel> ");
    // Enter before the ';' continues the statement on a new line.
    term.type_keys("SHOW\rTOPICS\r;\r");
    term.wait_for("Kafka Topic");
    // Ctrl-C while typing drops the input, not the REPL.
    term.type_keys("SHOW STRE");
    term.wait_for("SHOW STRE");
    // The next prompt must be up before typing on: a line editor may discard what was
    // typed ahead while it sets the terminal up.
    let prompts = term.screen().matches("runnel> ").count();
    term.type_keys("\u{3}");
    term.wait_for_count("runnel> ", prompts + 1);
    term.type_keys("SHOW STREAMS;\r");
    term.wait_for("Stream Name");
    // Ctrl-D on an empty line leaves.
    term.type_keys("\u{4}");
    term.wait_for_exit();

    // A new session recalls the last statements with Up.
    let mut term = Terminal::start(dir.path());
    term.wait_for("runnel> ");
    term.type_keys("\u{1b}[A\u{1b}[A\r");
    term.wait_for("Kafka Topic");
    term.type_keys("exit\r");
    term.wait_for_exit();
}
