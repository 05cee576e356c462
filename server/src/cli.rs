//! The command line of SPEC §7, and the limits a server facing the public needs (issue 13).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::db::Target;
use crate::serve::Limits;

pub const USAGE: &str =
    "usage: handoff-server [--config FILE] [--tokens FILE] [--db FILE|URL] [--addr HOST:PORT] [--www DIR] [--pkg DIR]
                      [--header-timeout SECS] [--body-timeout SECS] [--idle-timeout SECS]
                      [--write-timeout SECS] [--shutdown-grace SECS] [--rate-limit N] [--db-connections N]
                      [--tick-interval SECS]

  --config FILE   EngineConfig JSON (default: the Example Law Firm, config/example-firm.json)
  --tokens FILE   { \"tokens\": { \"<bearer token>\": Actor } } (default: the demo tokens)
  --db FILE|URL   a SQLite file, created when missing, or a PostgreSQL URL (postgres://… or
                  postgresql://…) that several processes may share (default: $DATABASE_URL,
                  else data/handoff.sqlite)
  --addr H:P      where to listen (default: 127.0.0.1:8080; port 0 picks a free one)
  --www DIR       the demo page served at / (default: www)
  --pkg DIR       the built npm package served at /pkg (default: pkg)

  --header-timeout SECS  a request's head must arrive within this, from its first byte (default: 10)
  --body-timeout SECS    its body within this, once the head is in; else 408 (default: 30)
  --idle-timeout SECS    a connection with no request under way is closed after this (default: 60)
  --write-timeout SECS   one whose response the client takes no byte of for this long (default: 30)
  --shutdown-grace SECS  on SIGTERM/SIGINT, requests under way get this long to finish (default: 5)
  --rate-limit N         requests per second per token under /sync, with a burst of two seconds'
                         worth; over it, 429 with Retry-After; 0 turns it off (default: 5000)
  --db-connections N     connections to PostgreSQL this process keeps at most (default: 16)
  --tick-interval SECS   how often the scheduler ticks the open cases whose deadline has passed,
                         and once at start (default: 30; 0.5 allowed; at most 86400)

  HANDOFF_DEBUG=scheduler in the environment prints each scheduler round to stderr.";

#[derive(Debug, PartialEq)]
pub struct Args {
    pub config: Option<PathBuf>,
    pub tokens: Option<PathBuf>,
    /// `--db` as given, if it was.
    pub db: Option<String>,
    pub addr: SocketAddr,
    pub www: PathBuf,
    pub pkg: PathBuf,
    pub limits: Limits,
    /// Requests per second per token; 0 means no limit.
    pub rate_limit: u32,
    /// Connections to PostgreSQL at most.
    pub db_connections: usize,
    /// How often the scheduler runs a round (SPEC §11, §13).
    pub tick_interval: Duration,
}

impl Args {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            config: None,
            tokens: None,
            db: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            www: PathBuf::from("www"),
            pkg: PathBuf::from("pkg"),
            limits: Limits::default(),
            rate_limit: 5000,
            db_connections: 16,
            tick_interval: Duration::from_secs(30),
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--config" => parsed.config = Some(PathBuf::from(value()?)),
                "--tokens" => parsed.tokens = Some(PathBuf::from(value()?)),
                "--db" => parsed.db = Some(value()?),
                "--addr" => {
                    let text = value()?;
                    parsed.addr = text.parse().map_err(|_| format!("--addr {text} is not HOST:PORT"))?;
                }
                "--www" => parsed.www = PathBuf::from(value()?),
                "--pkg" => parsed.pkg = PathBuf::from(value()?),
                "--header-timeout" => parsed.limits.header = seconds(&flag, &value()?)?,
                "--body-timeout" => parsed.limits.body = seconds(&flag, &value()?)?,
                "--idle-timeout" => parsed.limits.idle = seconds(&flag, &value()?)?,
                "--write-timeout" => parsed.limits.write = seconds(&flag, &value()?)?,
                "--shutdown-grace" => parsed.limits.grace = seconds(&flag, &value()?)?,
                "--rate-limit" => {
                    let text = value()?;
                    parsed.rate_limit =
                        text.parse().map_err(|_| format!("--rate-limit {text} is not a whole number of requests"))?;
                }
                "--db-connections" => {
                    let text = value()?;
                    parsed.db_connections = text
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| format!("--db-connections {text} is not a whole number from 1 to 1000"))?;
                }
                "--tick-interval" => parsed.tick_interval = seconds(&flag, &value()?)?,
                "--help" | "-h" => return Err(String::new()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(parsed)
    }

    /// Where the data is: `--db`, else `database_url` (the `DATABASE_URL` variable), else the
    /// embedded default file (SPEC §12).
    pub fn target(&self, database_url: Option<String>) -> Target {
        let value = self.db.clone().or(database_url.filter(|url| !url.is_empty()));
        Target::parse(value.as_deref().unwrap_or("data/handoff.sqlite"))
    }
}

/// A positive number of seconds (`0.5` allowed), at most a day.
fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag} {text} is not a number of seconds above 0 and at most 86400"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, String> {
        Args::parse(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn the_contract_command_line() {
        let args = parse(&["--config", "c.json", "--tokens", "t.json", "--db", "x.sqlite", "--addr", "127.0.0.1:9000"]);
        let args = args.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.config, Some(PathBuf::from("c.json")));
        assert_eq!(args.addr.port(), 9000);
        assert!(parse(&["--addr", "nowhere"]).is_err());
        assert!(parse(&["--db"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
    }

    #[test]
    fn the_db_is_the_flag_else_database_url_else_the_embedded_file() {
        let url = || Some("postgres://app@db/h".to_owned());
        let flagged = parse(&["--db", "x.sqlite"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(flagged.target(url()), Target::Sqlite("x.sqlite".into()));
        let plain = parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plain.target(url()), Target::Postgres("postgres://app@db/h".into()));
        assert_eq!(plain.target(None), Target::Sqlite("data/handoff.sqlite".into()));
        assert_eq!(plain.target(Some(String::new())), Target::Sqlite("data/handoff.sqlite".into()));
    }

    #[test]
    fn limits_default_to_production_values_and_take_fractions() {
        let args = parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.limits, Limits::default());
        assert_eq!(args.rate_limit, 5000);
        let args =
            parse(&["--header-timeout", "0.5", "--write-timeout", "1.5", "--shutdown-grace", "2", "--rate-limit", "0"]);
        let args = args.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(args.limits.header, Duration::from_millis(500));
        assert_eq!(args.limits.write, Duration::from_millis(1500));
        assert_eq!(args.limits.grace, Duration::from_secs(2));
        assert_eq!(args.rate_limit, 0);
        assert_eq!(parse(&["--db-connections", "4"]).map(|a| a.db_connections), Ok(4));
        assert!(parse(&["--db-connections", "0"]).is_err());
        assert_eq!(args.tick_interval, Duration::from_secs(30));
        assert_eq!(parse(&["--tick-interval", "0.5"]).map(|a| a.tick_interval), Ok(Duration::from_millis(500)));
        for bad in [
            ["--body-timeout", "0"],
            ["--idle-timeout", "-1"],
            ["--header-timeout", "NaN"],
            ["--rate-limit", "1.5"],
            ["--tick-interval", "0"],
            ["--tick-interval", "-2"],
            ["--tick-interval", "soon"],
            ["--tick-interval", "inf"],
        ] {
            assert!(parse(&bad).is_err(), "{bad:?}");
        }
    }
}
