//! One server process per SQLite file (issue 13, item 4): an exclusive advisory lock on a file
//! beside the database, `<db>.lock`, taken before the store opens and held for the process's
//! life. A second process on the same file is refused at start, before it reads or writes
//! anything, rather than deciding mutations that the first also decides.
//!
//! The lock is the operating system's (`flock`), not the file's existence: it ends with the
//! process however the process ends, so a lock file left behind by kill -9 blocks nothing. It is
//! a separate file because SQLite keeps its own POSIX locks on the database, which any other lock
//! taken on that file by this process could disturb. It guards one machine's processes; a
//! database on a network share may not honour it.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// Held while the server runs; dropping it (or the process ending) releases the lock.
pub struct DbLock {
    _file: File,
}

pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock for `db`, or says why this process must not use it.
pub fn acquire(db: &Path) -> Result<DbLock, String> {
    let path = lock_path(db);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(DbLock { _file: file }),
        Err(TryLockError::WouldBlock) => Err(format!(
            "another handoff-server is using {}: it holds {}. Stop it first, or give this one another --db.",
            db.display(),
            path.display()
        )),
        Err(TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_sits_beside_the_database() {
        assert_eq!(lock_path(Path::new("data/handoff.sqlite")), PathBuf::from("data/handoff.sqlite.lock"));
    }

    #[test]
    fn a_second_lock_on_the_same_database_is_refused_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("handoff-lock-unit-{}", std::process::id()));
        let db = dir.join("h.sqlite");
        let first = acquire(&db).unwrap_or_else(|e| panic!("{e}"));
        let second = acquire(&db).err().unwrap_or_default();
        assert!(second.contains("another handoff-server") && second.contains("h.sqlite.lock"), "{second}");
        drop(first);
        assert!(acquire(&db).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
