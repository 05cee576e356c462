//! The server against clients that misbehave, over real TCP: connections that send a request a
//! byte at a time or not at all, a body far past the limit, a shutdown while a request is
//! half-sent, a second process on the same database, a client over its rate (however it spaces
//! its token), clients that never read their response, and a directory under /pkg asked for
//! without its trailing slash. Short timeouts come from the flags, so each test takes a few
//! seconds at most.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Slack over a timeout for the server's timer, the scheduler and this test's polling.
const SLACK: Duration = Duration::from_millis(1500);

fn start(name: &str, flags: &[&str]) -> Server {
    Server::start_with(&temp_dir(name).join("h.sqlite"), flags).unwrap_or_else(|output| panic!("{output}"))
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.base.trim_start_matches("http://")).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
}

/// One connection to the server: what it is to send a byte at a time, and what it has seen.
struct Peer {
    stream: TcpStream,
    script: std::vec::IntoIter<u8>,
    received: Vec<u8>,
    closed: bool,
    /// Whether `trickle` reads what arrives; a peer that never reads learns of a close only when
    /// a write fails.
    reading: bool,
}

impl Peer {
    fn new(server: &Server) -> Peer {
        let stream = connect(server);
        stream.set_nonblocking(true).unwrap();
        Peer { stream, script: Vec::new().into_iter(), received: Vec::new(), closed: false, reading: true }
    }

    /// A connection that sends `script` a byte at a time under `trickle`.
    fn trickling(server: &Server, script: Vec<u8>) -> Peer {
        Peer { script: script.into_iter(), ..Peer::new(server) }
    }

    /// Reads what has arrived without waiting; notes when the server has closed the connection.
    fn poll(&mut self) {
        let mut buffer = [0u8; 4096];
        while !self.closed {
            match self.stream.read(&mut buffer) {
                Ok(0) => self.closed = true,
                Ok(n) => self.received.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => self.closed = true,
            }
        }
    }

    /// Sends the script's next byte, if any; a failed write means the server closed the connection.
    fn send_next(&mut self) {
        if let Some(byte) = self.script.next() {
            if !self.closed && self.stream.write_all(&[byte]).is_err() {
                self.closed = true;
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.set_nonblocking(false).unwrap();
        self.stream.write_all(bytes).unwrap();
        self.stream.set_nonblocking(true).unwrap();
    }

    fn response(&self) -> String {
        String::from_utf8_lossy(&self.received).into_owned()
    }
}

/// Every 100 ms, each peer sends the next byte of its script (then nothing more), until the
/// server has closed them all; returns how long that took, or `None` if some peer was still open
/// after `give_up`.
fn trickle(peers: &mut [Peer], give_up: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < give_up {
        for peer in peers.iter_mut() {
            if peer.reading {
                peer.poll();
            }
            peer.send_next();
        }
        if peers.iter().all(|peer| peer.closed) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// How long the server is given to close a connection that it should close at `timeout`.
fn give_up(timeout: u64) -> Duration {
    Duration::from_secs(timeout) + SLACK * 3
}

/// A request head that never ends: a header line without end, a byte at a time.
fn endless_head() -> Vec<u8> {
    let mut head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 1000));
    head
}

fn push_head(length: u64) -> Vec<u8> {
    format!(
        "POST /sync/push HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer dana-token\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    .into_bytes()
}

fn pull_body() -> String {
    r#"{"schemaVersion":2,"clientId":"in-flight","cookie":null}"#.to_owned()
}

fn pull_head(body: &str) -> Vec<u8> {
    format!(
        "POST /sync/pull HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer dana-token\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes()
}

#[test]
fn a_request_head_sent_a_byte_at_a_time_is_cut_off_at_the_header_timeout() {
    let server = start("slow-head", &["--header-timeout", "1", "--idle-timeout", "30"]);
    let mut peers = [Peer::trickling(&server, endless_head())];
    let took = trickle(&mut peers, give_up(1)).expect("the server kept a head sent a byte at a time");
    assert!(took < Duration::from_secs(1) + SLACK, "closed after {took:?}");
    eprintln!("slow head closed after {took:?}");
}

#[test]
fn a_body_sent_a_byte_at_a_time_is_answered_408_at_the_body_timeout() {
    let server = start("slow-body", &["--body-timeout", "1"]);
    let mut peers = [Peer::trickling(&server, vec![b' '; 1000])];
    peers[0].send(&push_head(1000));
    let took = trickle(&mut peers, give_up(1)).expect("the server kept a body sent a byte at a time");
    assert!(took < Duration::from_secs(1) + SLACK, "closed after {took:?}");
    let response = peers[0].response();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(response.contains(r#""code":"request-timeout""#), "{response}");
    eprintln!("slow body answered and closed after {took:?}");
}

#[test]
fn an_idle_connection_is_closed_at_the_idle_timeout_before_and_between_requests() {
    let server = start("idle", &["--idle-timeout", "1", "--header-timeout", "30"]);
    let mut peers = [Peer::new(&server), Peer::new(&server)];
    peers[1].send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let took = trickle(&mut peers, give_up(1)).expect("the server kept an idle connection");
    assert!(took < Duration::from_secs(1) + SLACK, "closed after {took:?}");
    assert!(peers[0].received.is_empty());
    let response = peers[1].response();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
}

#[test]
fn two_hundred_slow_connections_are_all_closed_and_others_are_still_served() {
    let server = start("slowloris", &["--header-timeout", "1", "--body-timeout", "1", "--idle-timeout", "30"]);
    // A hundred send a head a byte at a time, a hundred a body.
    let mut peers: Vec<Peer> = (0..100).map(|_| Peer::trickling(&server, endless_head())).collect();
    for _ in 0..100 {
        let mut peer = Peer::trickling(&server, vec![b' '; 1000]);
        peer.send(&push_head(1000));
        peers.push(peer);
    }
    let started = Instant::now();
    let (status, _) = pull(&server, "dana-token", "c1", None);
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(1), "a normal request took {:?}", started.elapsed());
    let took = trickle(&mut peers, give_up(1));
    let open = peers.iter().filter(|peer| !peer.closed).count();
    assert_eq!(open, 0, "{open} of 200 slow connections still open");
    assert!(took.is_some_and(|took| took < Duration::from_secs(1) + SLACK), "closed after {took:?}");
    eprintln!("200 slow connections all closed after {took:?}");
}

#[test]
fn a_content_length_past_the_limit_is_answered_413_at_once_and_the_connection_closed() {
    let server = start("too-large", &[]);
    let mut peer = Peer::new(&server);
    let started = Instant::now();
    let mut request = push_head(1_000_000_000_000);
    request.extend_from_slice(br#"{"schemaVersion":2}"#);
    peer.send(&request);
    while !peer.closed && started.elapsed() < Duration::from_secs(3) {
        peer.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
    let response = peer.response();
    assert!(response.starts_with("HTTP/1.1 413"), "after {:?}: {response:?}", started.elapsed());
    let body: Value = serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "too-large");
    assert!(peer.closed, "the connection was left open");
    assert!(started.elapsed() < Duration::from_millis(500), "took {:?}", started.elapsed());
    eprintln!("413 and closed after {:?}", started.elapsed());
}

#[test]
fn a_client_that_sends_a_body_past_the_limit_in_full_still_reads_the_413() {
    let server = start("too-large-sent", &[]);
    let mut stream = connect(&server);
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(&push_head(4 << 20)).unwrap();
    // Most clients send the whole body before they read: the server must not reset the
    // connection under them.
    stream.write_all(&vec![b' '; 4 << 20]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 413"), "{response:?}");
    assert!(response.contains(r#""code":"too-large""#), "{response}");
}

#[test]
fn sigterm_with_a_half_sent_request_exits_within_the_grace() {
    let mut server = start("half-sent", &["--shutdown-grace", "1"]);
    let mut head = Peer::new(&server);
    head.send(b"GET / HTTP/1.1\r\nHost: local");
    let mut body = Peer::new(&server);
    body.send(&push_head(1000));
    body.send(b"{\"schemaVersion\"");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let status = server.terminate();
    let took = started.elapsed();
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(1) + SLACK, "exited after {took:?}");
    assert!(server.output.lock().unwrap().contains("stopped"));
    eprintln!("exited {took:?} after SIGTERM with two half-sent requests open");
}

/// The scheduler stops before the runtime does: a round due while the server shuts down must not
/// poll a timer the runtime has already shut down (which panicked, printing a backtrace).
#[test]
fn sigterm_while_the_scheduler_ticks_stops_cleanly() {
    for round in 0..8 {
        let mut server = start(&format!("ticking-{round}"), &["--tick-interval", "0.001", "--shutdown-grace", "0.001"]);
        std::thread::sleep(Duration::from_millis(50));
        assert!(server.terminate().success());
        let output = server.output.lock().unwrap().clone();
        assert!(output.contains("stopped"), "{output}");
        assert!(!output.contains("panicked"), "round {round}:\n{output}");
    }
}

#[test]
fn a_request_in_flight_at_sigterm_still_completes() {
    let mut server = start("in-flight", &["--shutdown-grace", "3"]);
    let address = server.base.trim_start_matches("http://").to_owned();
    let body = pull_body();
    let (first, second) = body.split_at(10);
    let mut peer = Peer::new(&server);
    peer.send(&pull_head(&body));
    peer.send(first.as_bytes());
    // An idle keep-alive connection beside it: it must not hold the shutdown up.
    let _idle = Peer::new(&server);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    let stopping = std::thread::spawn(move || (server.terminate(), started.elapsed()));
    std::thread::sleep(Duration::from_millis(300));
    assert!(TcpStream::connect(&address).is_err(), "still accepting after SIGTERM");
    peer.send(second.as_bytes());
    while !peer.closed && started.elapsed() < Duration::from_secs(5) {
        peer.poll();
        std::thread::sleep(Duration::from_millis(10));
    }
    let response = peer.response();
    assert!(response.starts_with("HTTP/1.1 200"), "{response:?}");
    assert!(response.contains(r#""lastMutationId":0"#), "{response}");
    let (status, took) = stopping.join().unwrap();
    assert!(status.success(), "{status}");
    assert!(took < Duration::from_secs(2), "exited after {took:?}");
}

#[test]
fn a_second_server_on_the_same_database_is_refused_until_the_first_stops() {
    let db = temp_dir("lock").join("h.sqlite");
    let mut first = Server::start_with(&db, &[]).unwrap();
    let output = Server::start_with(&db, &[]).err().expect("a second server started on the same database");
    assert!(output.contains("h.sqlite.lock") && output.contains("another handoff-server"), "{output}");
    assert!(!output.contains("listening on"), "{output}");
    assert_eq!(push(&first, "dana-token", "c1", serde_json::json!([start_case(1, "k1")])).0, 200);
    assert!(first.terminate().success());
    let again = Server::start_with(&db, &[]).unwrap_or_else(|output| panic!("{output}"));
    let (_, pulled) = pull(&again, "dana-token", "c1", None);
    assert_eq!(pulled["lastMutationId"], 1);
}

#[test]
fn a_lock_left_by_kill_9_does_not_block_the_next_start() {
    let db = temp_dir("stale-lock").join("h.sqlite");
    let mut first = Server::start_with(&db, &[]).unwrap();
    first.kill();
    assert!(db.with_extension("sqlite.lock").exists(), "no lock file beside the database");
    Server::start_with(&db, &[]).unwrap_or_else(|output| panic!("a killed server's lock blocked a start: {output}"));
}

fn get_config(server: &Server, token: &str) -> ureq::http::Response<ureq::Body> {
    agent().get(&server.url("/sync/config")).header("Authorization", &format!("Bearer {token}")).call().unwrap()
}

#[test]
fn a_token_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected() {
    let server = start("rate", &["--rate-limit", "5"]);
    let started = Instant::now();
    let mut passed = 0;
    let limited = loop {
        let response = get_config(&server, "dana-token");
        if response.status() != 200 || passed > 40 {
            break response;
        }
        passed += 1;
    };
    // A burst of two seconds' worth, and what refilled while it was spent.
    let refilled = (started.elapsed().as_secs_f64() * 5.0).ceil() as i32;
    assert!((10..=10 + refilled).contains(&passed), "{passed} requests passed before a 429");
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after >= 1, "Retry-After: {retry_after}");
    let body: Value = serde_json::from_str(&limited.into_body().read_to_string().unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "rate-limited", "{body}");
    assert_eq!(get_config(&server, "avery-token").status(), 200, "another token was limited");
    for _ in 0..20 {
        assert_eq!(agent().get(&server.url("/")).call().unwrap().status(), 200, "the demo page was limited");
    }
    std::thread::sleep(Duration::from_secs(retry_after));
    assert_eq!(get_config(&server, "dana-token").status(), 200, "still limited after Retry-After");
}

#[test]
fn rate_limit_zero_turns_the_limit_off() {
    let server = start("rate-off", &["--rate-limit", "0"]);
    for _ in 0..50 {
        assert_eq!(get_config(&server, "dana-token").status(), 200);
    }
}

#[test]
fn a_directory_under_pkg_is_not_redirected_out_of_pkg() {
    let dir = temp_dir("pkg");
    std::fs::create_dir_all(dir.join("pkg/wasm")).unwrap();
    std::fs::write(dir.join("pkg/wasm/x.js"), "export {};").unwrap();
    let server = start("pkg-redirect", &["--pkg", dir.join("pkg").to_str().unwrap()]);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
    let response = agent.get(&server.url("/pkg/wasm")).call().unwrap();
    // api.rs gives ServeDir the prefix that nest_service strips from the URI it builds the
    // redirect from: without it the redirect would lead out of /pkg.
    assert!(response.status().is_redirection(), "GET /pkg/wasm answered {}", response.status());
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
    assert_eq!(location.as_deref(), Some("/pkg/wasm/"));
    assert_eq!(agent.get(&server.url("/pkg/wasm/x.js")).call().unwrap().status(), 200);
}

#[test]
fn spaces_around_a_token_do_not_give_it_a_second_rate_limit() {
    let server = start("rate-spaces", &["--rate-limit", "5"]);
    let started = Instant::now();
    let mut passed = 0;
    let status = loop {
        // "Bearer dana-token", "Bearer  dana-token", …: the same token to the API each time.
        let authorization = format!("Bearer {}dana-token{}", " ".repeat(passed % 7), " ".repeat(passed % 3));
        let response = agent().get(&server.url("/sync/config")).header("Authorization", &authorization).call().unwrap();
        if response.status() != 200 || passed > 40 {
            break response.status();
        }
        passed += 1;
    };
    let refilled = (started.elapsed().as_secs_f64() * 5.0).ceil() as usize;
    assert_eq!(status, 429, "{passed} requests passed");
    assert!(passed <= 10 + refilled, "{passed} requests passed before a 429");
}

/// A directory under /pkg holding `big.bin` of `size` bytes.
fn pkg_with_a_big_file(name: &str, size: usize) -> std::path::PathBuf {
    let dir = temp_dir(name).join("pkg");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.bin"), vec![b'x'; size]).unwrap();
    dir
}

#[test]
fn clients_that_never_read_their_response_are_closed_at_the_write_timeout() {
    // More than the socket buffers of both ends of a loopback connection hold while nothing is
    // read, so the server's writes stall.
    let pkg = pkg_with_a_big_file("stalled-readers", 4 << 20);
    let server = start("stalled-readers", &["--pkg", pkg.to_str().unwrap(), "--write-timeout", "1"]);
    let mut peers: Vec<Peer> = (0..10).map(|_| Peer::trickling(&server, vec![b' '; 1000])).collect();
    for peer in &mut peers {
        peer.reading = false;
        peer.send(b"GET /pkg/big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n");
    }
    // Nothing is read, so a close shows only as a failed write: the bytes each peer sends land on
    // a closed socket, which answers with a reset.
    let took = trickle(&mut peers, give_up(1));
    let open = peers.iter().filter(|peer| !peer.closed).count();
    assert_eq!(open, 0, "{open} of 10 connections that read nothing still open");
    assert!(took.is_some_and(|took| took < Duration::from_secs(1) + SLACK), "closed after {took:?}");
    eprintln!("10 connections that read nothing all closed after {:?}", took.unwrap());
    let (status, _) = pull(&server, "dana-token", "c1", None);
    assert_eq!(status, 200);
}

#[test]
fn a_client_reading_a_large_file_slowly_but_steadily_gets_all_of_it() {
    // The reader's socket buffer grows as it reads: only a file of several times what the buffers
    // hold keeps the server waiting on it, over and over, for longer than the write timeout.
    let size = 16 << 20;
    let pkg = pkg_with_a_big_file("steady-reader", size);
    let server = start("steady-reader", &["--pkg", pkg.to_str().unwrap(), "--write-timeout", "1"]);
    let mut stream = connect(&server);
    stream.write_all(b"GET /pkg/big.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) => panic!("after {} bytes and {:?}: {e}", received.len(), started.elapsed()),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let took = started.elapsed();
    let head = received.windows(4).position(|w| w == b"\r\n\r\n").expect("no response head") + 4;
    assert!(received.starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&received[..head]));
    assert_eq!(received.len() - head, size, "the response was cut off after {took:?}");
    // At most 1 MiB every 200 ms: the whole response takes several write timeouts.
    assert!(took > Duration::from_secs(3), "read in {took:?}");
    eprintln!("a steady reader got {size} bytes in {took:?}");
}
