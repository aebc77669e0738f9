//! The `qingfeng` binary: parse the command line, start logging, hand over to the library.

use clap::Parser;
use qingfeng::cli::{Cli, LogFormat, run};

fn main() {
    // Before the runtime starts any thread: see the function's comment.
    qingfeng::telemetry::quiet_library_backtraces();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the tokio runtime starts")
        .block_on(serve());
}

async fn serve() {
    let cli = Cli::parse();
    qingfeng::telemetry::init(matches!(cli.log_format, LogFormat::Json));
    let result = run(cli).await;
    // The embedded store closes its files in a background task once its last handle is
    // dropped; give that task a moment before the runtime stops under it.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    if let Err(error) = result {
        eprintln!("qingfeng: {error:#}");
        std::process::exit(1);
    }
}
