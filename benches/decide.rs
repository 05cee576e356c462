//! Native time per command on the case `bench/bench.mjs` also runs in WebAssembly: reads the
//! config and the commands from files named by `HANDOFF_BENCH_CONFIG` / `HANDOFF_BENCH_CASE`,
//! prints `{"value": ns, "kept": ns, "keptText": ns}` per command: `execute` on the started
//! case; the alternating commands on a kept case (`execute_kept`, what `CaseHandle` runs); and
//! the same from the command's and context's JSON text to the events' (the crossing a JS caller
//! pays for, done natively).
//! Not for humans: `npm run bench` prints the table.
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
    let alternating: Vec<Command> = case["alternating"]
        .as_array()
        .unwrap()
        .iter()
        .map(|command| Command::from_json(&command.to_string()).unwrap())
        .collect();
    let state = engine.start_case(&input, &ctx).unwrap().state;
    // Median of 7 rounds of at least 50 ms each: one short window on a shared machine can be
    // off by a factor of two.
    let time = |run: &mut dyn FnMut(u32)| {
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
                break;
            }
            batch *= 2;
        }
        let mut rounds: Vec<u128> = (0..7)
            .map(|_| {
                let started = Instant::now();
                for i in 0..batch {
                    run(i);
                }
                started.elapsed().as_nanos() / u128::from(batch)
            })
            .collect();
        rounds.sort_unstable();
        rounds[rounds.len() / 2]
    };
    let value = time(&mut |_| {
        std::hint::black_box(engine.execute(&state, &command, &ctx).unwrap());
    });
    let mut kept = engine.keep(state.clone()).unwrap();
    let in_place = time(&mut |i| {
        let command = &alternating[(i & 1) as usize];
        std::hint::black_box(engine.execute_kept(&mut kept, command, &ctx).unwrap());
    });
    let texts: Vec<String> = case["alternating"].as_array().unwrap().iter().map(|c| c.to_string()).collect();
    let ctx_text = case["ctx"].to_string();
    let mut kept = engine.keep(state.clone()).unwrap();
    let from_text = time(&mut |i| {
        let command = Command::from_json(&texts[(i & 1) as usize]).unwrap();
        let ctx: Ctx = from_json(&ctx_text).unwrap();
        let events = engine.execute_kept(&mut kept, &command, &ctx).unwrap();
        std::hint::black_box(serde_json::to_string(&events).unwrap());
    });
    println!("{{\"value\": {value}, \"kept\": {in_place}, \"keptText\": {from_text}}}");
}
