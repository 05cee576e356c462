//! Native time per command on the case `bench/bench.mjs` also runs in WebAssembly, one round at
//! a time, so that the bench can alternate native and WebAssembly rounds (this machine's speed
//! drifts within seconds; rounds timed side by side compare like with like). Reads the config and
//! the commands from files named by `HANDOFF_BENCH_CONFIG` / `HANDOFF_BENCH_CASE`, then for each
//! line on stdin times a round of about 50 ms and prints nanoseconds per command:
//! - `value`: `execute` on the started case;
//! - `kept`: the alternating commands on a kept case (`execute_kept`, what `CaseHandle` runs);
//! - `keptText`: the same from the command's and context's JSON text to the events' (the
//!   crossing a JS caller pays for, done natively).
//!
//! Not for humans: `npm run bench` prints the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, Write};
use std::time::Instant;

use handoff_engine::case::{Command, Ctx, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::Engine;

/// Calls `run` in a round of about 50 ms (the number of calls fixed by the first round) and
/// returns nanoseconds per call.
struct Timer {
    batch: Option<u32>,
}

impl Timer {
    fn round(&mut self, run: &mut dyn FnMut(u32)) -> u128 {
        let batch = *self.batch.get_or_insert_with(|| {
            for i in 0..2_000 {
                run(i);
            }
            let mut batch = 1_000u32;
            loop {
                let started = Instant::now();
                for i in 0..batch {
                    run(i);
                }
                if started.elapsed().as_millis() >= 50 {
                    return batch;
                }
                batch *= 2;
            }
        });
        let started = Instant::now();
        for i in 0..batch {
            run(i);
        }
        started.elapsed().as_nanos() / u128::from(batch)
    }
}

fn main() {
    let (Ok(config), Ok(case)) = (std::env::var("HANDOFF_BENCH_CONFIG"), std::env::var("HANDOFF_BENCH_CASE")) else {
        println!("decide: run through `npm run bench`");
        return;
    };
    let engine = Engine::from_json(&std::fs::read_to_string(config).unwrap()).unwrap();
    let case: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(case).unwrap()).unwrap();
    let ctx: Ctx = from_json(&case["ctx"].to_string()).unwrap();
    let input: StartCase = from_json(&case["input"].to_string()).unwrap();
    let command = Command::from_json(&case["command"].to_string()).unwrap();
    let alternating: Vec<Command> = case["alternating"]
        .as_array()
        .unwrap()
        .iter()
        .map(|command| Command::from_json(&command.to_string()).unwrap())
        .collect();
    let texts: Vec<String> = case["alternating"].as_array().unwrap().iter().map(|c| c.to_string()).collect();
    let ctx_text = case["ctx"].to_string();
    let state = engine.start_case(&input, &ctx).unwrap().state;
    let mut kept = engine.keep(state.clone()).unwrap();
    let mut kept_text = engine.keep(state.clone()).unwrap();
    let (mut value, mut in_place, mut from_text) =
        (Timer { batch: None }, Timer { batch: None }, Timer { batch: None });
    let mut out = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let ns = match line.unwrap().as_str() {
            "value" => value.round(&mut |_| {
                std::hint::black_box(engine.execute(&state, &command, &ctx).unwrap());
            }),
            "kept" => in_place.round(&mut |i| {
                let command = &alternating[(i & 1) as usize];
                std::hint::black_box(engine.execute_kept(&mut kept, command, &ctx).unwrap());
            }),
            "keptText" => from_text.round(&mut |i| {
                let command = Command::from_json(&texts[(i & 1) as usize]).unwrap();
                let ctx: Ctx = from_json(&ctx_text).unwrap();
                let events = engine.execute_kept(&mut kept_text, &command, &ctx).unwrap();
                std::hint::black_box(serde_json::to_string(&events).unwrap());
            }),
            _ => break,
        };
        writeln!(out, "{ns}").unwrap();
        out.flush().unwrap();
    }
}
