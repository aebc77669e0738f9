//! `qingfeng users`: add a user (under the password policy), unlock an account, issue a
//! display token.

use anyhow::Context;

use super::UsersCommand;
use crate::audit::{AuditAction, AuditEntry};
use crate::auth::PasswordPolicy;
use crate::store::Store;

pub async fn run(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Token {
            username,
            days,
            store,
        } => display_token(&username, days, &store.store).await,
        UsersCommand::Unlock { username, store } => unlock(&username, &store.store).await,
        UsersCommand::Add {
            username,
            password,
            role,
            region,
            display_name,
            regions,
            store,
        } => {
            // The demo's users are seeded with the documented demo password; every account
            // made by hand meets the policy.
            PasswordPolicy::default().check(&password)?;
            let store = Store::connect(&store.store).await?;
            let (tree, _) =
                crate::regions::stored::resolve(&store, regions.map(crate::home::typed).as_deref())
                    .await?;
            let user =
                crate::demo::new_user(&username, &password, &role, &region, &display_name, &tree)?;
            let action = match store.get_user(&username).await? {
                Some(_) => AuditAction::UserChanged,
                None => AuditAction::UserAdded,
            };
            store.put_user(&user).await?;
            audit(&store, action, &username, &format!("{role} of {region}")).await;
            // A replaced password ends the sessions signed in with the old one.
            store.delete_tokens_of(&username).await?;
            store.shutdown().await;
            println!("user {username} ({role}, {region}) saved");
            Ok(())
        }
    }
}

/// Appends a record of a command-line change to the audit log, by the operating-system
/// user who ran the command (the command line has no signed-in user).
async fn audit(store: &Store, action: AuditAction, username: &str, detail: &str) {
    let actor = super::cli_actor();
    let target = format!("user {username}");
    let entry = AuditEntry::new(chrono::Utc::now(), &actor, action, &target).with_detail(detail);
    crate::audit::record(store, entry).await;
}

/// Ends an account's lock and forgets its failures.
async fn unlock(username: &str, store_url: &str) -> anyhow::Result<()> {
    let store = Store::connect(store_url).await?;
    let user = store.get_user(username).await?;
    let result = match user {
        Some(_) => {
            let cleared = store.clear_lockout(username).await;
            audit(
                &store,
                AuditAction::Unlock,
                username,
                "unlocked on the command line",
            )
            .await;
            cleared.map_err(anyhow::Error::from)
        }
        None => Err(anyhow::anyhow!("no user named {username} in {store_url}")),
    };
    store.shutdown().await;
    result?;
    println!("{username} unlocked");
    Ok(())
}

/// Writes a display token: only display users get long-lived tokens, because a token
/// left on a wall in a public hall must not be able to change anything.
async fn display_token(username: &str, days: i64, store_url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=3650).contains(&days),
        "--days must be between 1 and 3650, not {days}"
    );
    let store = Store::connect(store_url).await?;
    let user = store
        .get_user(username)
        .await?
        .with_context(|| format!("no user named {username} in {store_url}"))?;
    anyhow::ensure!(
        user.role == crate::auth::Role::Display.as_str(),
        "{username} is a {}; display tokens are only for display users",
        user.role
    );
    let token = crate::auth::new_token();
    let expires_at = chrono::Utc::now() + chrono::Duration::days(days);
    store
        .put_token(&crate::store::TokenRecord {
            token_hash: crate::auth::token_hash(&token),
            username: username.to_string(),
            expires_at,
            last_used: None,
        })
        .await?;
    let detail = format!("display token until {expires_at}");
    audit(&store, AuditAction::TokenIssued, username, &detail).await;
    store.shutdown().await;
    println!("{token}");
    eprintln!(
        "display token for {username}, valid until {expires_at}; open a screen with ?token=<it>"
    );
    Ok(())
}
