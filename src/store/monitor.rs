//! The store's monitor: a thread that looks at the database four times a
//! second, for two things no call would notice.
//!
//! Another process's change. A second server, `qbank-server import` or the
//! sqlite3 shell may change questions; SQLite's `data_version` tells at the
//! cost of a pragma whether anyone committed, and only then is the bank
//! generation (moved by triggers, migration 0006) read: a move this process
//! did not make forgets the caches, so such a change is seen within a second.
//!
//! A vanished file. A database whose directory was deleted (or whose file
//! was replaced) under a running server still accepts writes into the unlinked file, which
//! vanishes with everything in it when the server stops. The writer refuses
//! such writes itself (see [`DatabaseFile::check`]); the monitor makes health
//! report it even while nobody writes, and report it over once the file is
//! back.

use std::{
    os::unix::fs::MetadataExt as _,
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    time::Duration,
};

use tokio::sync::watch;

use super::{StoreError, WriteHealth, caches::Caches, sqlite};

/// How often the monitor looks: a change elsewhere is seen within this.
const INTERVAL: Duration = Duration::from_millis(250);

/// The database file a store opened, identified by device and inode.
#[derive(Debug, Clone)]
pub(super) struct DatabaseFile {
    path: PathBuf,
    identity: (u64, u64),
}

impl DatabaseFile {
    /// The file now at `path`, which the store has just opened.
    pub(super) fn opened(path: &Path) -> Result<Self, StoreError> {
        let identity = identity(path).map_err(|error| StoreError::Internal(Box::new(error)))?;
        Ok(Self {
            path: path.to_owned(),
            identity,
        })
    }

    /// `Replaced` unless the file at the path is still the one opened. A
    /// `stat` per write batch: cheap next to the batch's fsync.
    pub(super) fn check(&self) -> Result<(), StoreError> {
        match identity(&self.path) {
            Ok(identity) if identity == self.identity => Ok(()),
            _ => Err(StoreError::Replaced {
                path: self.path.display().to_string(),
            }),
        }
    }
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    let metadata = std::fs::metadata(path)?;
    Ok((metadata.dev(), metadata.ino()))
}

/// Stops the monitor when the last store handle holding it is dropped.
#[derive(Debug)]
pub(super) struct Monitor {
    _stop: mpsc::Sender<()>,
}

/// Starts the monitor of `file`, which reads through `watcher` (a
/// connection of its own), forgets `caches` when another process changed
/// the bank, and marks writes as failing in `health` when the file is gone.
pub(super) fn spawn(
    file: DatabaseFile,
    watcher: rusqlite::Connection,
    caches: Arc<Caches>,
    health: Arc<watch::Sender<WriteHealth>>,
) -> Result<Monitor, StoreError> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("qbank-monitor".into())
        .spawn(move || {
            let mut reported = false;
            let mut data_version = None;
            let mut watch_failed = false;
            // Disconnected (every store handle gone) ends the loop.
            loop {
                match watch_the_bank(&watcher, &caches, &mut data_version) {
                    // Said once, not four times a second.
                    Err(error) if !watch_failed => {
                        tracing::warn!(%error, "cannot check the database for changes");
                        watch_failed = true;
                    }
                    Err(_) => {}
                    Ok(()) => watch_failed = false,
                }
                if !matches!(
                    stopped.recv_timeout(INTERVAL),
                    Err(mpsc::RecvTimeoutError::Timeout)
                ) {
                    return;
                }
                match file.check() {
                    // Back where it was (moved back, remounted): writes may
                    // go on, so what the monitor reported is withdrawn.
                    Ok(()) if reported => {
                        tracing::info!("the database file is back: accepting writes again");
                        reported = false;
                        health.send_replace(WriteHealth::Healthy);
                    }
                    Ok(()) => {}
                    Err(error) => {
                        if !reported {
                            tracing::error!(
                                %error,
                                "the database file is gone: refusing writes until it is back"
                            );
                            reported = true;
                        }
                        health.send_if_modified(|current| {
                            std::mem::replace(current, WriteHealth::Failing) != WriteHealth::Failing
                        });
                    }
                }
            }
        })
        .map_err(|error| StoreError::Internal(error.into()))?;
    Ok(Monitor { _stop: stop })
}

/// Forgets the caches when someone else committed a change to questions
/// since the last look.
fn watch_the_bank(
    watcher: &rusqlite::Connection,
    caches: &Caches,
    last_data_version: &mut Option<i64>,
) -> Result<(), StoreError> {
    let data_version = sqlite::data_version(watcher)?;
    if *last_data_version == Some(data_version) {
        return Ok(());
    }
    if caches.observe_generation(sqlite::bank_generation(watcher)?) {
        tracing::info!("questions changed in another process: forgot the cached cards and counts");
    }
    *last_data_version = Some(data_version);
    Ok(())
}
