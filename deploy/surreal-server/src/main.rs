//! The `surreal` server binary, exactly as SurrealDB ships it, with only the in-memory engine.
//! Tests start it as `surreal start --bind ADDR --user root --pass root memory`.

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_server::core::CommunityComposer())
}
