//! The scheduler (SPEC §11): every `--tick-interval`, and once right after start, a round that
//! ticks every open case whose next deadline has passed (`Store::tick_due`: found through the
//! index, each tick decided and stored like any command, as the system actor). A deadline is
//! acted on within an interval of passing; after a restart the first round catches up on what
//! passed meanwhile (late, never early, and never twice: a case already ticked has nothing due).
//! Every process on a database runs its own; they take different cases (`store::deadlines`).
//!
//! With `HANDOFF_DEBUG=scheduler` each round prints how many case states it read, how many
//! cases were due and how many it ticked, and its time, to stderr.

use std::sync::Arc;
use std::time::Duration;

use crate::api::App;
use crate::store;

/// Whether `HANDOFF_DEBUG` (names separated by commas) asks for the scheduler's rounds.
pub fn debug_from(value: Option<&str>) -> bool {
    value.is_some_and(|names| names.split(',').any(|name| name.trim() == "scheduler"))
}

/// Runs rounds every `every`, the first at once, for as long as the server runs. A round that
/// fails is reported; the next one tries again.
pub async fn run(app: Arc<App>, every: Duration, debug: bool) {
    let mut rounds = tokio::time::interval(every);
    // A round that took longer than the interval is followed by a whole interval, not a burst.
    rounds.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        rounds.tick().await;
        let started = std::time::Instant::now();
        let (done, read) = store::counting(app.store.tick_due()).await;
        match done {
            Ok(round) => {
                for refused in &round.refused {
                    eprintln!("handoff-server: the scheduler's tick was refused, tried again next round: {refused}");
                }
                if debug {
                    eprintln!(
                        "scheduler: round read {read} cases ({} due), {} ticked, {:.1} ms",
                        round.due,
                        round.ticked,
                        started.elapsed().as_secs_f64() * 1_000.0
                    );
                }
            }
            Err(error) => eprintln!("handoff-server: the scheduler's round failed, tried again next round: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_switch_names_the_scheduler() {
        assert!(debug_from(Some("scheduler")));
        assert!(debug_from(Some("other, scheduler")));
        assert!(!debug_from(Some("schedulers")));
        assert!(!debug_from(None));
    }
}
