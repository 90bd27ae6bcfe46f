//! What each command does, over the library.

use diesel::r2d2::ManageConnection;
use secrecy::ExposeSecret;

use crate::cli::{DevArgs, SeedArgs};
use crate::settings::{Settings, redacted_database_url};
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

/// `fly-store dev`: migrate, seed when empty, serve on 127.0.0.1.
pub async fn dev(settings: Settings, args: &DevArgs) -> Result<(), CommandError> {
    let mut conn = connect(&settings)?;
    migrations::run_pending(&mut conn)?;
    if queries::count_purchases(&mut conn)? == 0 {
        let seeded = seed::seed(&mut conn, &SeedPlan::default())?;
        log::info!("seeded an empty database purchases={}", seeded.purchases);
    }
    drop(conn);

    let app = Application::build(&settings, &format!("127.0.0.1:{}", args.port))?;
    log::info!("open http://{}/ (Ctrl-C stops)", app.addr());
    app.run_until_signalled().await?;
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
