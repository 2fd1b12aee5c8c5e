//! `attend lsp` driven as an editor drives it: the built binary spawned, LSP messages framed
//! with `Content-Length` over its standard input and output, and its replies asserted as
//! snapshots (the file's URI written `file:///POLICY`). Then every bundled policy, and mutated
//! versions of each, sent to one server, which must answer every request and never die.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::LazyLock;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{Value, json};

/// One editor session with a running `attend lsp`.
struct Client {
    child: Child,
    stdin: ChildStdin,
    inbox: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    notifications: Vec<Value>,
}

const WAIT: Duration = Duration::from_secs(60);

impl Client {
    fn start() -> Client {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("attend"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("attend lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, inbox) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            inbox,
            next_id: 0,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).expect("json");
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("server reads");
        self.stdin.flush().expect("server reads");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response (the whole message: `result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self
                .receive()
                .unwrap_or_else(|| panic!("no answer to `{method}`"));
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.notifications.push(message);
        }
    }

    fn receive(&mut self) -> Option<Value> {
        self.inbox.recv_timeout(WAIT).ok()
    }

    /// The diagnostics published for a version of the document.
    fn diagnostics(&mut self, version: i64) -> Value {
        if let Some(i) = self
            .notifications
            .iter()
            .position(|n| is_published(n, version))
        {
            return self.notifications.remove(i)["params"].clone();
        }
        loop {
            let message = self.receive().expect("diagnostics are published");
            if is_published(&message, version) {
                return message["params"].clone();
            }
            self.notifications.push(message);
        }
    }

    fn initialize(&mut self, debounce_ms: u64) -> Value {
        let reply = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {},
                "initializationOptions": {"debounceMs": debounce_ms},
            }),
        );
        self.notify("initialized", json!({}));
        reply
    }

    /// `shutdown` then `exit`; the server's exit status.
    fn shutdown(mut self) -> (Value, std::process::ExitStatus) {
        let reply = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        drop(self.stdin);
        let status = self.child.wait().expect("server exits");
        (reply, status)
    }
}

fn is_published(message: &Value, version: i64) -> bool {
    message["method"] == "textDocument/publishDiagnostics"
        && message["params"]["version"] == version
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The seed policy's URI: its real path, so its letter templates are read beside it.
static URI: LazyLock<String> = LazyLock::new(|| {
    format!(
        "file://{}/tests/lsp/seed.policy",
        env!("CARGO_MANIFEST_DIR")
    )
});

/// The URI as the snapshots write it.
fn normalised(value: &Value) -> Value {
    let text = serde_json::to_string(value).expect("json");
    serde_json::from_str(&text.replace(URI.as_str(), "file:///POLICY")).expect("json")
}

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": *URI}, "position": {"line": line, "character": character}})
}

/// The UTF-16 position of the `nth` occurrence of `needle` in `text`, plus `offset` characters.
fn position_of(text: &str, needle: &str, nth: usize, offset: usize) -> (u32, u32) {
    let byte = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("`{needle}` is in the text"));
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..byte].matches('\n').count();
    let column: usize = text[line_start..byte]
        .chars()
        .map(char::len_utf16)
        .sum::<usize>()
        + offset;
    (line as u32, column as u32)
}

fn seed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp/seed.policy");
    std::fs::read_to_string(path).expect("the seed policy")
}

#[test]
fn an_editor_session_on_a_policy_with_a_planted_error() {
    let text = seed();
    let mut client = Client::start();
    let mut init = client.initialize(0);
    assert_eq!(
        init["result"]["serverInfo"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    init["result"]["serverInfo"]["version"] = json!("VERSION");
    insta::assert_snapshot!("initialize", pretty(&init["result"]));

    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": *URI, "languageId": "attend", "version": 1, "text": text}}),
    );
    let planted = client.diagnostics(1);
    // The misspelt `concen` follows curly quotes and an en dash (3 bytes, 1 UTF-16 unit
    // each): its range is counted in UTF-16 units, as the protocol asks.
    let (line, column) = position_of(&text, "concen ", 0, 0);
    let unknown = planted["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == "model::unknown_letter"))
        .expect("the planted error is reported");
    assert_eq!(
        unknown["range"]["start"],
        json!({"line": line, "character": column})
    );
    insta::assert_snapshot!("diagnostics_planted", pretty(&normalised(&planted)));

    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": *URI},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}},
            "context": {"diagnostics": planted["diagnostics"]},
        }),
    );
    // The letter's "did you mean" and the band's boundary (AT212) each have one.
    insta::assert_snapshot!("code_actions", pretty(&normalised(&actions["result"])));

    let (line, column) = position_of(&text, "concen ", 0, 2);
    let completion = client.request("textDocument/completion", at(line, column));
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(labels, ["concern"], "after `letter`, the letters");

    let fixed = text.replace("letter concen", "letter concern");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": *URI, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let cleared = client.diagnostics(2);
    insta::assert_snapshot!("diagnostics_cleared", pretty(&normalised(&cleared)));

    let requests = [
        (
            "hover_finding",
            "textDocument/hover",
            position_of(&fixed, "below 90%", 0, 2),
        ),
        (
            "hover_band",
            "textDocument/hover",
            position_of(&fixed, "monitored", 0, 1),
        ),
        (
            "hover_code",
            "textDocument/hover",
            position_of(&fixed, "{N, O}", 0, 1),
        ),
        (
            "hover_metric",
            "textDocument/hover",
            position_of(&fixed, "attendance over", 0, 2),
        ),
        (
            "completion_code_set",
            "textDocument/completion",
            position_of(&fixed, "{N, O}", 0, 1),
        ),
        (
            "completion_role",
            "textDocument/completion",
            position_of(&fixed, "by attendance_lead", 0, 3),
        ),
        (
            "completion_in_bands",
            "textDocument/completion",
            position_of(&fixed, "band expected", 0, 0),
        ),
        (
            "completion_top",
            "textDocument/completion",
            position_of(&fixed, "roles {", 0, 0),
        ),
        (
            "definition_letter",
            "textDocument/definition",
            position_of(&fixed, "letter concern", 1, 8),
        ),
        (
            "definition_defined",
            "textDocument/definition",
            position_of(&fixed, "persistent_absence and", 0, 3),
        ),
        (
            "completion_condition",
            "textDocument/completion",
            position_of(&fixed, "persistent_absence and", 0, 0),
        ),
        (
            "hover_letter",
            "textDocument/hover",
            position_of(&fixed, "letter concern", 1, 9),
        ),
        (
            "hover_metric_in_condition",
            "textDocument/hover",
            position_of(&fixed, "unauthorised(this_term)", 0, 4),
        ),
    ];
    for (name, method, (line, character)) in requests {
        let reply = client.request(method, at(line, character));
        insta::assert_snapshot!(name, pretty(&normalised(&reply["result"])));
    }
    let (line, character) = position_of(&fixed, "attendance_lead", 0, 1);
    let mut params = at(line, character);
    params["context"] = json!({"includeDeclaration": true});
    let references = client.request("textDocument/references", params);
    insta::assert_snapshot!(
        "references_role",
        pretty(&normalised(&references["result"]))
    );
    // Without the declaration: the meeting's one use, in the trigger.
    let (line, character) = position_of(&fixed, "attendance_meeting \"", 0, 1);
    let mut params = at(line, character);
    params["context"] = json!({"includeDeclaration": false});
    let references = client.request("textDocument/references", params);
    let uses = references["result"].as_array().expect("locations");
    let (line, character) = position_of(&fixed, "attendance_meeting by", 0, 0);
    assert_eq!(uses.len(), 1);
    assert_eq!(
        uses[0]["range"]["start"],
        json!({"line": line, "character": character})
    );

    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": *URI}}),
    );
    insta::assert_snapshot!("document_symbols", pretty(&normalised(&symbols["result"])));

    // Formatting a policy written out of canonical form gives `attend fmt`'s text as one edit.
    let untidy = fixed.replace("  phase primary", "phase    primary");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": *URI, "version": 3}, "contentChanges": [{"text": untidy}]}),
    );
    let formatting = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": *URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let edits = formatting["result"].as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    let fmt = assert_cmd::Command::cargo_bin("attend")
        .expect("binary")
        .args(["fmt", "tests/lsp/seed.policy"])
        .output()
        .expect("attend fmt runs");
    let canonical = String::from_utf8(fmt.stdout).expect("utf-8");
    assert_eq!(
        edits[0]["newText"],
        canonical.replace("letter concen", "letter concern")
    );
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    let (shutdown, status) = client.shutdown();
    assert_eq!(shutdown["result"], Value::Null);
    assert!(status.success(), "the server exits cleanly: {status}");
}

#[test]
fn a_calendar_file_gets_its_own_diagnostics() {
    let mut client = Client::start();
    client.initialize(0);
    let uri = "file:///work/school/terms.calendar";
    let text = "calendar \"2025-26\" {\n  term autumn 2025-09-03 to 2025-02-30\n}\n";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "attend-calendar", "version": 1, "text": text}}),
    );
    let published = client.diagnostics(1);
    insta::assert_snapshot!("calendar_diagnostics", pretty(&published));
    // In a calendar block, what a calendar holds.
    let completion = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 2}}),
    );
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "session",
            "term",
            "half_term",
            "holiday",
            "bank_holiday",
            "inset",
            "closed"
        ]
    );
    let fixed = text.replace("2025-02-30", "2025-12-19");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics(2)["diagnostics"], json!([]));
    let fixed = text.replace("2025-02-30", "2025-12-19");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(client.diagnostics(2)["diagnostics"], json!([]));
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(symbols["result"][0]["name"], "calendar \"2025-26\"");
    assert_eq!(symbols["result"][0]["children"][0]["name"], "term autumn");
    let (_, status) = client.shutdown();
    assert!(status.success());
}

/// JSON as the snapshots hold it.
fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("json")
}

/// Every policy and calendar bundled (both surfaces, and the real documents as written).
fn corpus() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        "policies",
        "policies/toml",
        "policies/real",
        "policies/calendars",
    ] {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("a bundled folder")
            .map(|e| e.expect("an entry").path())
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|e| e == "policy" || e == "toml" || e == "calendar")
            })
            .collect();
        entries.sort();
        for path in entries {
            let text = std::fs::read_to_string(&path).expect("a bundled file");
            files.push((path.display().to_string(), text));
        }
    }
    files
}

/// A small deterministic generator (xorshift), so a failing mutation is found again.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Tokens a mutation inserts: the language's punctuation and words, and Word's characters.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "\"",
    "band ",
    " when ",
    "%",
    "“",
    "–",
    "\n",
    "# ",
    "..",
    "<..=",
    " and ",
    "day 0:",
    "letter ",
    "stage ",
    "(",
    ")",
    "{N, O",
    "999999999999%",
    "\u{feff}",
    "𝄞",
];

/// The text mutated as the never-panics property test mutates it: a span deleted, a token
/// inserted, a span duplicated, the text truncated, or stray bytes (read lossily) put in.
fn mutated(text: &str, dice: &mut Dice) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..=dice.below(3) {
        let len = bytes.len();
        let at = dice.below(len + 1);
        match dice.below(5) {
            0 => {
                let end = (at + 1 + dice.below(40)).min(len);
                bytes.drain(at..end);
            }
            1 => {
                let token = TOKENS[dice.below(TOKENS.len())];
                bytes.splice(at..at, token.bytes());
            }
            2 => {
                let end = (at + 1 + dice.below(200)).min(len);
                let piece = bytes[at..end].to_vec();
                let to = dice.below(len + 1);
                bytes.splice(to..to, piece);
            }
            3 => bytes.truncate(at),
            _ => {
                let stray: Vec<u8> = (0..1 + dice.below(6))
                    .map(|_| dice.below(256) as u8)
                    .collect();
                bytes.splice(at..at, stray);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Every bundled policy, then mutated versions of it, sent to one server as edits; at each
/// version the editor asks everything it can. Every request is answered (none with the error
/// a caught panic gives), every version's diagnostics are published, and the server exits
/// cleanly at the end.
#[test]
fn every_bundled_policy_and_its_mutations_are_answered() {
    const MUTATIONS: usize = 6;
    let mut client = Client::start();
    client.initialize(0);
    let mut dice = Dice(0x5eed_2026);
    let files = corpus();
    assert!(files.len() >= 20, "the corpus holds the bundled policies");
    for (path, text) in &files {
        let uri = format!("file://{path}");
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "attend", "version": 0, "text": text}}),
        );
        client.diagnostics(0);
        for version in 1..=MUTATIONS as i64 {
            let changed = mutated(text, &mut dice);
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": changed}]}),
            );
            let published = client.diagnostics(version);
            let lines = changed.lines().count().max(1);
            let mut asked = Vec::new();
            for _ in 0..2 {
                let line = dice.below(lines);
                let character = dice.below(60);
                let position = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
                for method in [
                    "textDocument/hover",
                    "textDocument/completion",
                    "textDocument/definition",
                ] {
                    asked.push((method, position.clone()));
                }
                let mut references = position.clone();
                references["context"] = json!({"includeDeclaration": true});
                asked.push(("textDocument/references", references));
            }
            asked.push((
                "textDocument/documentSymbol",
                json!({"textDocument": {"uri": uri}}),
            ));
            asked.push((
                "textDocument/formatting",
                json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
            ));
            asked.push((
                "textDocument/codeAction",
                json!({
                    "textDocument": {"uri": uri},
                    "range": {"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}},
                    "context": {"diagnostics": published["diagnostics"]},
                }),
            ));
            for (method, params) in asked {
                let reply = client.request(method, params.clone());
                assert!(
                    reply.get("result").is_some() && reply.get("error").is_none(),
                    "`{method}` on a mutation of {path} ({params}) was not answered: {reply}"
                );
            }
        }
        client.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
    }
    let (_, status) = client.shutdown();
    assert!(status.success(), "the server exits cleanly: {status}");
}

/// Typing is debounced: changes that arrive within the debounce time are analysed once, and
/// only the newest version's diagnostics are published.
#[test]
fn a_burst_of_changes_publishes_the_newest_version_only() {
    let text = seed();
    let mut client = Client::start();
    // A second: the burst arrives well within it even on a loaded machine.
    client.initialize(1000);
    let uri = "file:///work/school/burst.policy";
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "attend", "version": 1, "text": text}}),
    );
    for version in 2..=5 {
        let typed = text.replace(
            "letter concen",
            &format!("letter conc{}", "e".repeat(version)),
        );
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": typed}]}),
        );
    }
    let newest = client.diagnostics(5);
    assert_eq!(newest["version"], 5);
    let published: Vec<&Value> = client
        .notifications
        .iter()
        .filter(|n| n["method"] == "textDocument/publishDiagnostics")
        .collect();
    assert!(
        published.is_empty(),
        "stale versions were published: {published:?}"
    );
    let (_, status) = client.shutdown();
    assert!(status.success());
}

/// The TOML surface: a misspelt metric inside a condition string is reported at the word
/// itself, fixed by its "did you mean", and the canonical TOML needs no formatting.
#[test]
fn a_toml_policy_is_checked_inside_its_strings() {
    let fmt = assert_cmd::Command::cargo_bin("attend")
        .expect("binary")
        .args(["fmt", "--to", "toml", "tests/lsp/seed.policy"])
        .output()
        .expect("attend fmt runs");
    let toml = String::from_utf8(fmt.stdout).expect("utf-8");
    let text = toml
        .replace("letter concen ", "letter concern ")
        .replace("unauthorised(this_term)", "unauthorized(this_term)");
    let uri = format!("file://{}/tests/lsp/seed.toml", env!("CARGO_MANIFEST_DIR"));
    let mut client = Client::start();
    client.initialize(0);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "toml", "version": 1, "text": text}}),
    );
    let published = client.diagnostics(1);
    let metric = published["diagnostics"]
        .as_array()
        .and_then(|all| all.iter().find(|d| d["code"] == "model::unknown_metric"))
        .expect("the misspelt metric is reported");
    let (line, character) = position_of(&text, "unauthorized", 0, 0);
    assert_eq!(
        metric["range"]["start"],
        json!({"line": line, "character": character})
    );
    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": metric["range"],
            "context": {"diagnostics": [metric]},
        }),
    );
    let edit = &actions["result"][0]["edit"]["changes"][&uri][0];
    assert_eq!(edit["newText"], "unauthorised");
    assert_eq!(edit["range"], metric["range"]);
    let formatting = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(
        formatting["result"],
        json!([]),
        "canonical TOML needs no edit"
    );
    let (_, status) = client.shutdown();
    assert!(status.success());
}

/// Requests the server cannot answer get an error, and the server carries on.
#[test]
fn malformed_requests_are_answered_with_errors() {
    let mut client = Client::start();
    client.initialize(0);
    let malformed = client.request("textDocument/hover", json!({"textDocument": 7}));
    assert_eq!(malformed["error"]["code"], -32602, "{malformed}");
    let not_open = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": "file:///nowhere.policy"}}),
    );
    assert_eq!(not_open["error"]["code"], -32602, "{not_open}");
    let unknown = client.request("workspace/symbol", json!({"query": "band"}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let (shutdown, status) = client.shutdown();
    assert_eq!(shutdown["result"], Value::Null);
    assert!(status.success());
}
