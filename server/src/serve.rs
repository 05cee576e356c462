//! The connection loop: accepts TCP connections and serves each with HTTP/1.1 under the limits a
//! server facing the public needs and `axum::serve` does not have (issue 13, item 5):
//!
//! - a connection with no request under way is closed after the idle timeout;
//! - a request's head must arrive within the header timeout from its first byte, or the
//!   connection is closed;
//! - a body is read in full before any route sees it, within the body timeout (else 408
//!   `request-timeout`) and the size limit (else 413 `too-large`; a declared `Content-Length`
//!   past the limit is answered at once, without waiting for the body); both close the connection,
//!   after a short lingering close so that a client still sending its body can read the answer;
//! - a response whose bytes the client has not taken for the write timeout (the socket refused
//!   every write since) closes the connection: a client that never reads would otherwise hold
//!   it, and the response's memory, for as long as it likes;
//! - on shutdown, nothing new is accepted, the requests under way get a grace to finish, and
//!   whatever is still open after it is closed, so a client holding a half-sent request cannot
//!   keep the process alive.
//!
//! It knows nothing of routes or of the protocol: it serves whatever `Router` it is given. Once a
//! request's body is in, serving it has no deadline (a push of many mutations may take its time);
//! neither has a response as a whole, so a client reading a large one slowly but steadily gets
//! all of it.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use handoff_engine::sync::ErrorBody;
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// How long a client may take over each part of a request, and the grace at shutdown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// From a request's first byte to the end of its head. A browser sends a head in one packet;
    /// 10 s leaves room for a very bad mobile link and none for a client trickling bytes.
    pub header: Duration,
    /// From the end of the head to the end of the body: 30 s is 1 MiB at 35 KB/s.
    pub body: Duration,
    /// With no request under way. Longer than CaseStore's auto-sync interval (5 s by default), so
    /// a syncing tab keeps its connection.
    pub idle: Duration,
    /// For a write to wait on the client, its socket full. A full pull can be several MB, so a
    /// response as a whole has no deadline; but a client reading at all, even over a bad link,
    /// frees room in its socket far more often than every 30 s.
    pub write: Duration,
    /// At SIGTERM/SIGINT, for the requests under way; a supervisor's own wait is usually 10 s or more.
    pub grace: Duration,
    /// The largest body read: the protocol's limit.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            idle: Duration::from_secs(60),
            write: Duration::from_secs(30),
            grace: Duration::from_secs(5),
            max_body: crate::api::MAX_BODY_BYTES,
        }
    }
}

/// How long a refused request's connection goes on reading (and dropping) what the client still
/// sends, after the answer and before the close. Closing a socket with data arriving makes the
/// kernel reset the connection, and a client still writing its body (most do: they read the answer
/// only once the body is sent) then sees a broken pipe instead of the 413.
const LINGER: Duration = Duration::from_secs(2);

/// Serves `router` on `listener` until `shutdown` resolves, then drains within the grace.
pub async fn run(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    // hyper's own header timer starts as soon as a connection goes idle, so an idle limit could
    // never be longer than the header limit; each connection's watchdog keeps both instead.
    http.header_read_timeout(None);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // TCP_NODELAY: without it a response written in two parts (headers, then the body) waits
        // for the client's delayed ACK, a stall the browser benchmark showed.
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, router.clone(), limits, http.clone(), graceful.watcher()));
    }
    drop(listener);
    if tokio::time::timeout(limits.grace, graceful.shutdown()).await.is_err() {
        eprintln!(
            "handoff-server: closing the connections still open after the {} s grace",
            limits.grace.as_secs_f64()
        );
    }
}

/// A failed accept: one connection's trouble is skipped at once; running out of descriptors or
/// memory gets a pause, rather than a loop spinning on the same error.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::*;
    if !matches!(error.kind(), ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock) {
        eprintln!("handoff-server: cannot accept a connection: {error}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Serves one connection while its watchdog enforces the idle, header and write timeouts: when
/// one passes, the connection is dropped, which closes the socket.
async fn connection(stream: TcpStream, router: Router, limits: Limits, http: http1::Builder, watcher: Watcher) {
    let activity = Arc::new(Activity::new(limits));
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request| handle(router.clone(), activity.clone(), limits, request))
    };
    let served = watcher.watch(http.serve_connection(io, service));
    tokio::pin!(served);
    loop {
        let deadline = activity.deadline();
        if deadline.is_some_and(|deadline| deadline <= Instant::now()) {
            return;
        }
        let expiry = async move {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut served => return,
            () = expiry => {}
            () = activity.changed.notified() => {}
        }
    }
}

/// Where a connection is between requests, for its watchdog.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// No request under way since `since`: waiting for the first byte of the next one.
    Idle { since: Instant },
    /// The first byte of a request came at `since`; its head is not complete yet.
    Head { since: Instant },
    /// The head is in and the request is being served (its body has its own deadline).
    Busy,
}

/// When the watchdog closes a connection in `phase`, its writes refused by the socket since
/// `stalled` if they are: at the nearer of the two deadlines, and never while a request is served
/// and the client takes its response.
fn deadline(phase: Phase, stalled: Option<Instant>, limits: &Limits) -> Option<Instant> {
    let by_phase = match phase {
        Phase::Idle { since } => Some(since + limits.idle),
        Phase::Head { since } => Some(since + limits.header),
        Phase::Busy => None,
    };
    let by_write = stalled.map(|since| since + limits.write);
    by_phase.into_iter().chain(by_write).min()
}

/// A connection's phase and write stall, shared by its socket (bytes arrive, a write waits or goes
/// out), its service (a request starts, its response ends) and its watchdog (told of each change
/// that can bring its deadline nearer).
struct Activity {
    phase: Mutex<Phase>,
    /// Since when the socket has refused the bytes hyper has to write, if it does. This, not the
    /// response body's lifetime, says whether the client is taking its response: hyper has read
    /// the last of a body, and the phase is idle again, while up to its write buffer's worth is
    /// still waiting for the client.
    stalled: Mutex<Option<Instant>>,
    changed: Notify,
    limits: Limits,
    /// A request was refused before its body was read: close with a linger.
    refused: AtomicBool,
}

impl Activity {
    fn new(limits: Limits) -> Self {
        Activity {
            phase: Mutex::new(Phase::Idle { since: Instant::now() }),
            stalled: Mutex::new(None),
            changed: Notify::new(),
            limits,
            refused: AtomicBool::new(false),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        let phase = *self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        deadline(phase, *self.stalled.lock().unwrap_or_else(PoisonError::into_inner), &self.limits)
    }

    /// Sets the phase that `next` gives for the current one, and wakes the watchdog on a change.
    fn update(&self, next: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        let updated = next(*phase);
        if updated != *phase {
            *phase = updated;
            // notify_one keeps a permit when the watchdog is not waiting yet, so no change is missed.
            self.changed.notify_one();
        }
    }

    fn bytes_arrived(&self) {
        self.update(|phase| match phase {
            Phase::Idle { .. } => Phase::Head { since: Instant::now() },
            other => other,
        });
    }

    /// A write was refused (`Pending`) or done. Only the start of a stall wakes the watchdog: the
    /// end of one moves the deadline later, which it finds when it wakes at the stale one.
    fn write_waits(&self, waits: bool) {
        let mut stalled = self.stalled.lock().unwrap_or_else(PoisonError::into_inner);
        match (*stalled, waits) {
            (None, true) => {
                *stalled = Some(Instant::now());
                self.changed.notify_one();
            }
            (Some(_), false) => *stalled = None,
            _ => {}
        }
    }

    /// Marks a request under way until the returned guard is dropped, with its response's body.
    fn busy(self: &Arc<Self>) -> Busy {
        self.update(|_| Phase::Busy);
        Busy(self.clone())
    }
}

struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.update(|_| Phase::Idle { since: Instant::now() });
    }
}

/// The socket, telling the connection's activity when bytes arrive and when a write waits on the
/// client, and lingering at the close after a refusal.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
    write_closed: bool,
    linger: Option<Pin<Box<Sleep>>>,
}

impl Watched {
    fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Watched { stream, activity, write_closed: false, linger: None }
    }

    /// Reads and drops what arrives until the client closes, an error, or the linger's end.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let until = self.linger.get_or_insert_with(|| Box::pin(tokio::time::sleep(LINGER)));
        let mut scratch = [0u8; 16 * 1024];
        // A bounded number of reads per poll, so a fast sender cannot hold this thread.
        for _ in 0..64 {
            if until.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {}
                Poll::Ready(_) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.bytes_arrived();
        }
        result
    }
}

impl Watched {
    /// Passes a write's result on, noting whether it waits on the client.
    fn wrote(&self, result: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        self.activity.write_waits(result.is_pending());
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.wrote(result)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.wrote(result)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    /// Sends the close (FIN) after the response; after a refusal, lingers before hyper drops the
    /// socket.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.write_closed {
            std::task::ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            this.write_closed = true;
        }
        if this.activity.refused.load(Ordering::Relaxed) {
            std::task::ready!(this.poll_linger(cx));
        }
        Poll::Ready(Ok(()))
    }
}

/// One request: its body read within the limits, then the router; the connection is busy until
/// the response's body has been sent.
async fn handle(
    router: Router,
    activity: Arc<Activity>,
    limits: Limits,
    request: Request<Incoming>,
) -> Result<Response<Sending>, Infallible> {
    let busy = activity.busy();
    let response = match read_body(request, &limits).await {
        Ok(request) => router.oneshot(request).await.unwrap_or_else(|never| match never {}),
        Err(refusal) => {
            activity.refused.store(true, Ordering::Relaxed);
            refusal
        }
    };
    Ok(response.map(|body| Sending { body, _busy: busy }))
}

/// Reads the whole body, so that no route ever waits on a slow client.
async fn read_body(request: Request<Incoming>, limits: &Limits) -> Result<Request<Body>, Response<Body>> {
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let too_large = || {
        let message = format!("A request body may have at most {} bytes.", limits.max_body);
        refusal(StatusCode::PAYLOAD_TOO_LARGE, "too-large", message)
    };
    if declared.is_some_and(|length| length > limits.max_body as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(limits.body, Limited::new(body, limits.max_body).collect()).await {
        Ok(Ok(collected)) => Ok(Request::from_parts(parts, Body::from(collected.to_bytes()))),
        Ok(Err(error)) if error.is::<LengthLimitError>() => Err(too_large()),
        Ok(Err(_)) => Err(refusal(StatusCode::BAD_REQUEST, "invalid-request", "The request's body could not be read.")),
        Err(_) => {
            let message = format!("A request body must arrive within {} s.", limits.body.as_secs_f64());
            Err(refusal(StatusCode::REQUEST_TIMEOUT, "request-timeout", message))
        }
    }
}

/// An error in the protocol's shape that also closes the connection: the rest of the body, if
/// any, is never read.
fn refusal(status: StatusCode, code: &str, message: impl Into<String>) -> Response<Body> {
    let body = serde_json::to_string(&ErrorBody::new(code, message)).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A response's body, holding its connection busy until hyper has sent it and dropped it.
struct Sending {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for Sending {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }
    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_s_deadline_follows_its_phase() {
        let limits = Limits::default();
        let now = Instant::now();
        assert_eq!(deadline(Phase::Idle { since: now }, None, &limits), Some(now + Duration::from_secs(60)));
        assert_eq!(deadline(Phase::Head { since: now }, None, &limits), Some(now + Duration::from_secs(10)));
        assert_eq!(deadline(Phase::Busy, None, &limits), None);
    }

    #[test]
    fn a_stalled_write_closes_the_connection_in_any_phase() {
        let limits = Limits::default();
        let now = Instant::now();
        let thirty = Some(now + Duration::from_secs(30));
        assert_eq!(deadline(Phase::Busy, Some(now), &limits), thirty);
        assert_eq!(deadline(Phase::Idle { since: now }, Some(now), &limits), thirty, "the nearer deadline");
        let activity = Activity::new(limits);
        let idle = activity.deadline();
        activity.write_waits(true);
        let stalled = activity.deadline();
        assert!(stalled < idle, "a stall did not bring the deadline nearer");
        activity.write_waits(true);
        assert_eq!(activity.deadline(), stalled, "a stall's clock restarted while it lasted");
        activity.write_waits(false);
        assert_eq!(activity.deadline(), idle, "a write that went out left the stall's deadline");
    }

    #[test]
    fn bytes_start_a_head_only_on_an_idle_connection() {
        let activity = Arc::new(Activity::new(Limits::default()));
        activity.bytes_arrived();
        assert!(matches!(*activity.phase.lock().unwrap_or_else(PoisonError::into_inner), Phase::Head { .. }));
        let busy = activity.busy();
        activity.bytes_arrived();
        assert_eq!(*activity.phase.lock().unwrap_or_else(PoisonError::into_inner), Phase::Busy);
        drop(busy);
        assert!(matches!(*activity.phase.lock().unwrap_or_else(PoisonError::into_inner), Phase::Idle { .. }));
    }
}
