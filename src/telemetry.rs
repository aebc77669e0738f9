//! Logging and spans with `tracing`: human-readable by default, JSON lines with
//! `--log-format json` (or `QINGFENG_LOG_FORMAT=json`); levels from `RUST_LOG`.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,surrealdb=warn,surrealkv=error,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Turns off backtraces for library errors unless `RUST_LIB_BACKTRACE` asks for them.
///
/// SurrealDB reports expected conditions inside a commit as `anyhow` errors, and when
/// `RUST_BACKTRACE=1` is in the environment (it often is on developer machines and in CI)
/// every one of them walks the stack to capture a backtrace. Measured with
/// `qingfeng-bench append`: 5,131 commands/s with them against 7,040 without. Panics still
/// print their backtrace as `RUST_BACKTRACE` says; only library error values stop capturing.
///
/// Must be called before any other thread exists: changing the environment while another
/// thread may read it is undefined behaviour on some platforms.
pub fn quiet_library_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: the binaries call this first thing in `main`, before the runtime or any
        // other thread is started, so nothing can read the environment concurrently.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}
