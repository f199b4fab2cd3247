//! The server's error log, kept in memory for the tests: what the code under test logs at ERROR (an
//! internal error's cause, for one) and its panics, so that a test can say why a request answered 500.
//! The tests of the binary run at once, so a failing test's excerpt may hold another test's errors
//! too; each line names its time and thread.

use std::io::Write;
use std::sync::{Mutex, Once};

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Installs the collector once for the whole binary (`common::run` calls it).
pub fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::ERROR)
            .with_ansi(false)
            .with_thread_names(true)
            .with_writer(|| Collector)
            .try_init();
        // A panic in a request's task prints where the runtime's thread happened to be started (another
        // test's captured output, as likely as not): log it here too.
        let print = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |panic| {
            tracing::error!(%panic, "panicked");
            print(panic);
        }));
    });
}

/// Where the log stands now: pass it to `since`.
pub fn mark() -> usize {
    LOG.lock().map(|log| log.len()).unwrap_or_default()
}

/// What was logged after `mark`.
pub fn since(mark: usize) -> String {
    LOG.lock().map(|log| String::from_utf8_lossy(log.get(mark..).unwrap_or_default()).into_owned()).unwrap_or_default()
}

struct Collector;

impl Write for Collector {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut log) = LOG.lock() {
            log.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
