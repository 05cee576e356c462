//! The per-token request rate under `/sync` (issue 13; SPEC §13 "Rate limits and storage"): a
//! token bucket for each bearer token, refilled at `rate` requests a second up to a
//! burst of two seconds' worth. A request over it is answered 429 `rate-limited` with
//! `Retry-After` (whole seconds, at least 1), which CaseStore honours as a retry.
//!
//! The default, 5,000 a second with a burst of 10,000, is far above a person's pace (CaseStore
//! syncs every few seconds and pushes once per change) and above the push benchmark, which sends
//! some 2,000 single-mutation pushes a second from 4 threads with one token: the limit is there so
//! that one runaway script or stolen token cannot take the writer for itself, not to shape
//! people's traffic.
//!
//! A bucket belongs to the token as the API reads it (`Tokens::actor`: the header after
//! `"Bearer "`, trimmed), not to the header's text: otherwise `Bearer  dana-token`, one more space
//! each time, would be the same token with a fresh burst on every request. A request whose header
//! does not read as a bearer token, or that has none, is not limited: the API answers it 401
//! before any work, which costs no more than a 429 would. This module does not know which tokens
//! are valid, so an unknown one is limited like any other (and then refused 401 by the API).
//!
//! Memory is bounded: buckets are keyed by a keyed hash of the token (no secret is kept, and a
//! long junk token costs 8 bytes), at most `MAX_BUCKETS` of them. When the table is full, every
//! bucket that has refilled is dropped (forgetting a full bucket changes nothing); if that frees
//! too little, the half unused the longest goes, which leaves out a token in use, so a flood of
//! junk tokens can neither grow the table nor reset a busy token's bucket.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use handoff_engine::sync::ErrorBody;

/// Far more tokens than a firm has in use at once.
const MAX_BUCKETS: usize = 10_000;

/// How many seconds of the sustained rate a token may spend at once.
const BURST_SECONDS: f64 = 2.0;

/// One token's allowance: `tokens` requests left as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, at: Instant) -> Self {
        Bucket { tokens: burst, at }
    }

    fn refilled(&self, now: Instant, rate: f64, burst: f64) -> f64 {
        (self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * rate).min(burst)
    }

    /// Takes one request's worth, or says how long until there is one.
    fn take(&mut self, now: Instant, rate: f64, burst: f64) -> Result<(), Duration> {
        self.tokens = self.refilled(now, rate, burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::try_from_secs_f64((1.0 - self.tokens) / rate).unwrap_or(Duration::from_secs(1)))
        }
    }
}

pub struct Limiter {
    rate: f64,
    burst: f64,
    capacity: usize,
    keys: RandomState,
    buckets: Mutex<HashMap<u64, Bucket>>,
}

impl Limiter {
    /// A limiter of `per_second` requests per token, or none for 0.
    pub fn new(per_second: u32) -> Option<Arc<Limiter>> {
        Limiter::with_capacity(per_second, MAX_BUCKETS)
    }

    fn with_capacity(per_second: u32, capacity: usize) -> Option<Arc<Limiter>> {
        let rate = f64::from(per_second);
        (per_second > 0).then(|| {
            Arc::new(Limiter {
                rate,
                burst: rate * BURST_SECONDS,
                capacity,
                keys: RandomState::new(),
                buckets: Mutex::new(HashMap::new()),
            })
        })
    }

    /// Counts a request for `token` at `now`; `Err` holds how long until one would pass.
    fn check(&self, token: &[u8], now: Instant) -> Result<(), Duration> {
        let key = self.keys.hash_one(token);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= self.capacity && !buckets.contains_key(&key) {
            self.make_room(&mut buckets, now);
        }
        buckets.entry(key).or_insert_with(|| Bucket::full(self.burst, now)).take(now, self.rate, self.burst)
    }

    /// Frees at least a quarter of the table, so that a flood costs a sweep per many requests
    /// rather than one per request.
    fn make_room(&self, buckets: &mut HashMap<u64, Bucket>, now: Instant) {
        buckets.retain(|_, bucket| bucket.refilled(now, self.rate, self.burst) < self.burst);
        if buckets.len() > self.capacity * 3 / 4 {
            let mut used: Vec<Instant> = buckets.values().map(|bucket| bucket.at).collect();
            let (_, median, _) = used.select_nth_unstable(buckets.len() / 2);
            let median = *median;
            buckets.retain(|_, bucket| bucket.at > median);
        }
    }
}

/// The token of an `Authorization` header, read by the API's own reader (`tokens::bearer`), so
/// that every spelling the API takes for one token counts against one bucket.
fn bearer_token(authorization: &HeaderValue) -> Option<&str> {
    crate::tokens::bearer(authorization.to_str().ok()?)
}

/// The layer's function: counts each `/sync` request that carries a token.
pub async fn middleware(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    let limited = request.uri().path().starts_with("/sync/");
    match request.headers().get(header::AUTHORIZATION).and_then(bearer_token) {
        Some(token) if limited => match limiter.check(token.as_bytes(), Instant::now()) {
            Ok(()) => next.run(request).await,
            Err(wait) => rate_limited(wait),
        },
        _ => next.run(request).await,
    }
}

fn rate_limited(wait: Duration) -> Response {
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let message = format!("Too many requests with this token; retry in {seconds} s.");
    let body = serde_json::to_string(&ErrorBody::new("rate-limited", message)).unwrap_or_default();
    let headers =
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), (header::RETRY_AFTER, seconds.into())];
    (StatusCode::TOO_MANY_REQUESTS, headers, Body::from(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_spends_its_burst_then_waits_for_the_rate() {
        let Some(limiter) = Limiter::new(5) else { panic!("5 a second is a limit") };
        let start = Instant::now();
        for _ in 0..10 {
            assert_eq!(limiter.check(b"Bearer a", start), Ok(()));
        }
        assert_eq!(limiter.check(b"Bearer a", start), Err(Duration::from_millis(200)));
        assert_eq!(limiter.check(b"Bearer b", start), Ok(()), "another token has its own bucket");
        assert_eq!(limiter.check(b"Bearer a", start + Duration::from_millis(200)), Ok(()));
        assert!(limiter.check(b"Bearer a", start + Duration::from_millis(200)).is_err());
    }

    #[test]
    fn a_bucket_is_the_token_the_api_reads_not_the_header_text() {
        let Ok(tokens) = crate::tokens::Tokens::from_json(crate::tokens::DEMO_TOKENS) else {
            panic!("the demo tokens read")
        };
        for text in ["Bearer dana-token", "Bearer   dana-token", "Bearer dana-token  ", "Bearer \tdana-token\t"] {
            let Ok(value) = HeaderValue::from_str(text) else { panic!("{text:?} is a header value") };
            assert_eq!(bearer_token(&value), Some("dana-token"), "{text:?}");
            assert!(tokens.actor(Some(text)).is_some(), "the API does not read {text:?} as dana's token");
        }
        for text in ["dana-token", "bearer dana-token", "Bearer\tdana-token", "Basic ZGFuYQ=="] {
            let Ok(value) = HeaderValue::from_str(text) else { panic!("{text:?} is a header value") };
            assert_eq!(bearer_token(&value), None, "{text:?}");
            assert!(tokens.actor(Some(text)).is_none(), "{text:?} is refused 401, so it goes unlimited");
        }
    }

    #[test]
    fn zero_is_no_limit() {
        assert!(Limiter::new(0).is_none());
    }

    #[test]
    fn junk_tokens_cannot_grow_the_table_or_reset_a_busy_token() {
        let Some(limiter) = Limiter::with_capacity(1, 100) else { panic!("1 a second is a limit") };
        let start = Instant::now();
        while limiter.check(b"Bearer busy", start).is_ok() {}
        for i in 0..1000_u64 {
            let at = start + Duration::from_micros(i);
            let _ = limiter.check(format!("Bearer junk-{i}").as_bytes(), at);
            if i % 10 == 0 {
                assert!(limiter.check(b"Bearer busy", at).is_err(), "the junk reset the busy token's bucket");
            }
            let buckets = limiter.buckets.lock().unwrap_or_else(PoisonError::into_inner).len();
            assert!(buckets <= 100, "{buckets} buckets");
        }
    }

    #[test]
    fn retry_after_is_whole_seconds_and_at_least_one() {
        let seconds = |wait| rate_limited(wait).headers().get(header::RETRY_AFTER).cloned();
        assert_eq!(seconds(Duration::from_millis(200)), Some(HeaderValue::from(1)));
        assert_eq!(seconds(Duration::from_millis(1001)), Some(HeaderValue::from(2)));
        assert_eq!(seconds(Duration::ZERO), Some(HeaderValue::from(1)));
    }
}
