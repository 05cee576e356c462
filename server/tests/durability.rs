//! kill -9 in the middle of a stream of pushes: after a restart on the same database every
//! acknowledged mutation is there, and re-pushing everything applies none twice; on each backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const TOTAL: u64 = 240;

#[test]
fn acknowledged_mutations_survive_kill_9_and_none_applies_twice() {
    on_each_backend(|backend| {
        let db = TestDb::new(backend, "durability");
        let mut acknowledged = 0;
        for (round, kill_after) in [25u64, 60, 110].into_iter().enumerate() {
            let mut server = Server::start(&db);
            let acked = Arc::new(Mutex::new(acknowledged));
            let (base, sink) = (server.base.clone(), acked.clone());
            let from = acknowledged + 1;
            let streamer = std::thread::spawn(move || {
                for id in from..=TOTAL {
                    let body = serde_json::json!({ "schemaVersion": 2, "clientId": "stream", "mutations": [start_case(id, &format!("k{id}"))] });
                    let sent = agent()
                        .post(&format!("{base}/sync/push"))
                        .header("Authorization", "Bearer dana-token")
                        .send(body.to_string());
                    match sent {
                        Ok(mut response) if response.status().as_u16() == 200 => {
                            let value: Value =
                                serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
                            assert_eq!(value["lastMutationId"], id);
                            *sink.lock().unwrap() = id;
                        }
                        _ => return,
                    }
                }
            });
            let deadline = Instant::now() + Duration::from_secs(60);
            while *acked.lock().unwrap() < kill_after && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(1));
            }
            server.kill();
            streamer.join().unwrap();
            acknowledged = *acked.lock().unwrap();
            assert!(acknowledged >= kill_after, "round {round}: only {acknowledged} acknowledged");

            let server = Server::start(&db);
            let (_, pulled) = pull(&server, "dana-token", "stream", None);
            let last = pulled["lastMutationId"].as_u64().unwrap();
            assert!(last >= acknowledged, "round {round}: {acknowledged} acknowledged, {last} kept");
            assert_eq!(pulled["cases"].as_array().unwrap().len() as u64, last, "one case per handled mutation");
            acknowledged = last;
        }
        // The client re-pushes everything it ever sent: the handled ones are duplicates.
        let server = Server::start(&db);
        for chunk in (1..=TOTAL).collect::<Vec<_>>().chunks(100) {
            let batch: Vec<Value> = chunk.iter().map(|&id| start_case(id, &format!("k{id}"))).collect();
            let (status, response) = push(&server, "dana-token", "stream", Value::Array(batch));
            assert_eq!(status, 200, "{response}");
            for result in response["results"].as_array().unwrap() {
                let expected = if result["id"].as_u64().unwrap() <= acknowledged { "duplicate" } else { "applied" };
                assert_eq!(result["status"], expected);
            }
        }
        let (_, pulled) = pull(&server, "dana-token", "stream", None);
        let cases = pulled["cases"].as_array().unwrap();
        assert_eq!(cases.len() as u64, TOTAL);
        assert!(cases.iter().all(|c| c["version"] == 2), "every case started exactly once");
        assert!(cases.iter().all(|c| c["owner"]["id"] == "documents"));
    });
}
