//! kinspect: parse the command line, run the chosen command, turn failures into one line
//! on stderr and an exit status.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use kinspect::cli::{Cli, Command};
use kinspect::cmd;
use kinspect::error::{AppError, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(err),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(AppError::failure(format!("cannot start the async runtime: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(err),
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    let aws_options = cli.global.aws_options();
    match cli.command {
        Some(Command::Tail(args)) => cmd::tail::run(&aws_options, args, cli.global.read_only).await,
        Some(Command::Ls) => cmd::ls::run(&aws_options).await,
        Some(Command::Put(_)) if cli.global.read_only => {
            Err(AppError::usage("put is disabled by --read-only: nothing was sent"))
        }
        Some(Command::Put(args)) => cmd::put::run(&aws_options, args).await,
        None => cmd::tui::run(&aws_options, cli.open, cli.global.read_only).await,
    }
}

fn report(err: AppError) -> ExitCode {
    eprintln!("kinspect: {}", err.message);
    ExitCode::from(u8::try_from(err.exit_code).unwrap_or(1))
}

/// A bad value gets one line; help, version and structural usage errors keep clap's text.
fn clap_exit(err: clap::Error) -> ExitCode {
    match err.kind() {
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => {
            let rendered = err.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid value");
            eprintln!("kinspect: {}", first.trim_start_matches("error: "));
            ExitCode::from(EXIT_USAGE as u8)
        }
        _ => {
            let _ = err.print();
            ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(EXIT_USAGE as u8))
        }
    }
}
