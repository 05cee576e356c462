//! Native time per command on the case `bench/bench.mjs` also runs in WebAssembly: reads the
//! config and the command from files named by `HANDOFF_BENCH_CONFIG` / `HANDOFF_BENCH_CASE`,
//! prints `{"nsPerCommand": …}`. Not for humans: `npm run bench` prints the table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Instant;

use handoff_engine::case::{Command, Ctx, StartCase};
use handoff_engine::input::from_json;
use handoff_engine::Engine;

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
    let state = engine.start_case(&input, &ctx).unwrap().state;
    let runs = 2_000u32;
    for _ in 0..200 {
        std::hint::black_box(engine.execute(&state, &command, &ctx).unwrap());
    }
    let started = Instant::now();
    for _ in 0..runs {
        std::hint::black_box(engine.execute(&state, &command, &ctx).unwrap());
    }
    println!("{{\"nsPerCommand\": {}}}", started.elapsed().as_nanos() / u128::from(runs));
}
