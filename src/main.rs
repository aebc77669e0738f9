//! The `qingfeng` binary: parse the command line, start logging, hand over to the library.

use clap::Parser;
use qingfeng::cli::{Cli, LogFormat, run};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    qingfeng::telemetry::init(matches!(cli.log_format, LogFormat::Json));
    if let Err(error) = run(cli).await {
        eprintln!("qingfeng: {error:#}");
        std::process::exit(1);
    }
}
