//! What each command does, over the library.

use diesel::r2d2::ManageConnection;
use secrecy::ExposeSecret;

use crate::cli::{DevArgs, SeedArgs};
use std::net::SocketAddr;

use crate::localfly;
use crate::localfly::dev::DevOptions;
use crate::settings::{DatabaseKind, Settings, redacted_database_url};
use crate::startup::Application;
use crate::store::db::connection::Manager;
use crate::store::db::{AnyConnection, migrations, queries};
use crate::store::seed::{self, SeedPlan};

/// A command's failure, printed as `error: …` before exiting 1.
pub type CommandError = Box<dyn std::error::Error + Send + Sync>;

/// `fly-store serve`
pub async fn serve(settings: Settings, bind: Option<String>) -> Result<(), CommandError> {
    let bind = bind.unwrap_or_else(|| settings.server.bind.clone());
    let app = Application::build(&settings, &bind)?;
    app.run_until_signalled().await?;
    log::info!("stopped");
    Ok(())
}

/// `fly-store migrate`
pub fn migrate(settings: &Settings, revert_all: bool) -> Result<(), CommandError> {
    let mut conn = connect(settings)?;
    let versions = if revert_all {
        migrations::revert_all(&mut conn)?
    } else {
        migrations::run_pending(&mut conn)?
    };
    let verb = if revert_all { "reverted" } else { "applied" };
    log::info!("migrations {verb}={} versions={versions:?}", versions.len());
    Ok(())
}

/// `fly-store seed`
pub fn seed(settings: &Settings, args: &SeedArgs) -> Result<(), CommandError> {
    let mut conn = connect(settings)?;
    migrations::run_pending(&mut conn)?;
    let plan = SeedPlan {
        products: args.products,
        purchases: args.purchases,
        items_per_purchase: args.items_per_purchase,
        seed: args.seed,
    };
    let seeded = seed::seed(&mut conn, &plan)?;
    log::info!(
        "seeded products={} purchases={} items={} seed={}",
        seeded.products,
        seeded.purchases,
        seeded.items,
        plan.seed
    );
    Ok(())
}

/// `fly-store dev`: migrate the embedded database, seed it when empty, then
/// run Local Fly with the main machine on it until Ctrl-C.
pub async fn dev(settings: Settings, args: &DevArgs) -> Result<(), CommandError> {
    let mut conn = connect(&settings)?;
    migrations::run_pending(&mut conn)?;
    if queries::count_purchases(&mut conn)? == 0 {
        let seeded = seed::seed(&mut conn, &SeedPlan::default())?;
        log::info!("seeded an empty database purchases={}", seeded.purchases);
    }
    drop(conn);

    // Machines run as child processes, maybe elsewhere: give them an
    // absolute path to the same database.
    let url = settings.database.url.expose_secret();
    let database_url = match DatabaseKind::of(url)? {
        DatabaseKind::Sqlite => std::path::absolute(url.strip_prefix("sqlite://").unwrap_or(url))?
            .display()
            .to_string(),
        DatabaseKind::Postgres => url.to_owned(),
    };
    let mut options = DevOptions::new(database_url);
    options.proxy_addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    options.api_addr = SocketAddr::from(([127, 0, 0, 1], args.api_port));
    options.app = args.app.clone();
    // Machines start with a clean environment, as on Fly: hand the store's
    // own settings to the main machine (which passes them on to the worker).
    for (name, value) in std::env::vars() {
        if name.starts_with("FLY_STORE__") {
            options.env.insert(name, value);
        } else if name == "FLY_STORE_CONFIG" {
            let path = std::path::absolute(&value)?.display().to_string();
            options.env.insert(name, path);
        }
    }
    localfly::dev::run(options).await?;
    Ok(())
}

fn connect(settings: &Settings) -> Result<AnyConnection, CommandError> {
    let url = settings.database.url.expose_secret();
    Manager::new(url).connect().map_err(|error| {
        format!(
            "cannot open the database {}: {error}",
            redacted_database_url(url)
        )
        .into()
    })
}
