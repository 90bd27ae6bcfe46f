//! The command line: `serve`, `migrate`, `seed` and `dev` (the default).

use clap::{Args, Parser, Subcommand};

use crate::fly::cli::MachinesCommand;

/// A web store whose receipt PDFs render on a serverless Fly Machine.
#[derive(Debug, Parser)]
#[command(name = "fly-store", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do. With no command, `dev`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the app (the production entry point; never migrates or seeds).
    Serve {
        /// Address to listen on [default: the `server.bind` setting, 0.0.0.0:8000].
        #[arg(long, value_name = "ADDR:PORT")]
        bind: Option<String>,
    },
    /// Apply pending database migrations.
    Migrate {
        /// Revert every migration instead (drops the store's tables).
        #[arg(long)]
        revert_all: bool,
    },
    /// Fill the database with deterministic demo data (migrating it first).
    Seed(SeedArgs),
    /// Run the whole two-role flow locally: Local Fly's proxy and Machines
    /// API, and the main machine on the embedded database (migrated, and
    /// filled with demo data when empty). The default command.
    Dev(DevArgs),
    /// Fly Machines of this app: one-off command machines, and a list.
    #[command(subcommand)]
    Machines(MachinesCommand),
}

/// Options of `seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Products to create.
    #[arg(long, default_value_t = 12)]
    pub products: usize,
    /// Purchases to create.
    #[arg(long, default_value_t = 25)]
    pub purchases: usize,
    /// Items in every purchase [default: 1 to 5 at random].
    #[arg(long)]
    pub items_per_purchase: Option<usize>,
    /// The random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Options of `dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Port of the local Fly proxy, on 127.0.0.1: open this one.
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Port of the local Machines API stand-in, on 127.0.0.1.
    #[arg(long, default_value_t = 4280)]
    pub api_port: u16,
    /// The Fly app's name.
    #[arg(long, default_value = "fly-store")]
    pub app: String,
}

impl DevArgs {
    /// `dev` with its default options, for a bare `fly-store`.
    pub fn defaults() -> DevArgs {
        DevArgs {
            port: 8080,
            api_port: 4280,
            app: "fly-store".to_owned(),
        }
    }
}
