//! The command line of SPEC §7.

use std::net::SocketAddr;
use std::path::PathBuf;

pub const USAGE: &str =
    "usage: handoff-server [--config FILE] [--tokens FILE] [--db FILE] [--addr HOST:PORT] [--www DIR] [--pkg DIR]

  --config FILE   EngineConfig JSON (default: the Example Law Firm, config/example-firm.json)
  --tokens FILE   { \"tokens\": { \"<bearer token>\": Actor } } (default: the demo tokens)
  --db FILE       the SQLite file, created when missing (default: data/handoff.sqlite)
  --addr H:P      where to listen (default: 127.0.0.1:8080; port 0 picks a free one)
  --www DIR       the demo page served at / (default: www)
  --pkg DIR       the built npm package served at /pkg (default: pkg)";

#[derive(Debug, PartialEq)]
pub struct Args {
    pub config: Option<PathBuf>,
    pub tokens: Option<PathBuf>,
    pub db: PathBuf,
    pub addr: SocketAddr,
    pub www: PathBuf,
    pub pkg: PathBuf,
}

impl Args {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut parsed = Args {
            config: None,
            tokens: None,
            db: PathBuf::from("data/handoff.sqlite"),
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            www: PathBuf::from("www"),
            pkg: PathBuf::from("pkg"),
        };
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--config" => parsed.config = Some(PathBuf::from(value()?)),
                "--tokens" => parsed.tokens = Some(PathBuf::from(value()?)),
                "--db" => parsed.db = PathBuf::from(value()?),
                "--addr" => {
                    let text = value()?;
                    parsed.addr = text.parse().map_err(|_| format!("--addr {text} is not HOST:PORT"))?;
                }
                "--www" => parsed.www = PathBuf::from(value()?),
                "--pkg" => parsed.pkg = PathBuf::from(value()?),
                "--help" | "-h" => return Err(String::new()),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        Ok(parsed)
    }
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
}
