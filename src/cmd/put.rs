//! `kinspect put`: records from a file or stdin into a data stream or a delivery stream.
//! Everything is checked before anything is sent; failures after retries are listed on
//! stderr with their index in the input.

use std::io::Read;
use std::time::Duration;

use super::setup_error;
use crate::aws::config::{Aws, AwsOptions, StreamRef};
use crate::aws::error::ApiError;
use crate::aws::putter::{self, AwsPutter, Outcome, PutEntry, PutTarget};
use crate::cli::{PutArgs, PutFormat};
use crate::error::AppError;
use crate::record::input::{self, InputFormat, Template};

pub async fn run(aws_options: &AwsOptions, args: PutArgs) -> Result<(), AppError> {
    let target = match (&args.stream, &args.firehose) {
        (Some(stream), None) => PutTarget::Stream(StreamRef::parse(stream)?),
        (None, Some(name)) => PutTarget::Firehose(name.clone()),
        _ => return Err(AppError::usage("give either --stream or --firehose")),
    };
    let entries = read_entries(&args, &target)?;
    if entries.is_empty() {
        return Err(AppError::usage("the input holds no records: nothing was sent"));
    }
    let problems: Vec<String> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| putter::check(&target, e).map(|why| format!("record {i}: {why}")))
        .collect();
    if let Some(first) = problems.first() {
        let more = match problems.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(AppError::usage(format!("{first}{more}; nothing was sent")));
    }

    let stream_ref = match &target {
        PutTarget::Stream(s) => Some(s),
        PutTarget::Firehose(_) => None,
    };
    let aws = Aws::load(aws_options, stream_ref).await?;
    let api = AwsPutter { kinesis: aws.kinesis(), firehose: aws.firehose() };
    let concurrency = args.concurrency as usize;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; entries.len()];
    let mut pending: Vec<usize> = (0..entries.len()).collect();
    for round in 0..=args.retries {
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(500) * round).await;
        }
        for (index, outcome) in putter::send(&api, &target, &entries, &pending, concurrency).await {
            outcomes[index] = Some(outcome);
        }
        pending = failed(&outcomes);
        // Nothing got through on the first try because of the setup (no such stream, no
        // way to reach the service, no permission): say so plainly.
        if round == 0 && pending.len() == entries.len() {
            if let Some(Some(Outcome::CallFailed(error))) = outcomes.first() {
                if matches!(
                    error,
                    ApiError::NotFound(_) | ApiError::Unreachable(_) | ApiError::AccessDenied(_)
                ) {
                    return Err(put_setup_error(error.clone(), &aws, &target));
                }
            }
        }
        if pending.is_empty() {
            break;
        }
    }
    for &index in &pending {
        if let Some((code, message)) = outcomes[index].as_ref().and_then(Outcome::failure) {
            eprintln!("kinspect: record {index}: {code}: {message}");
        }
    }
    let accepted = entries.len() - pending.len();
    eprintln!(
        "kinspect: sent {} records to {}: {accepted} accepted, {} failed",
        entries.len(),
        target.describe(),
        pending.len()
    );
    if pending.is_empty() {
        Ok(())
    } else {
        Err(AppError::failure(format!("{} of {} records failed", pending.len(), entries.len())))
    }
}

fn failed(outcomes: &[Option<Outcome>]) -> Vec<usize> {
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.as_ref().is_none_or(Outcome::is_failed))
        .map(|(i, _)| i)
        .collect()
}

fn put_setup_error(error: ApiError, aws: &Aws, target: &PutTarget) -> AppError {
    match (target, &error) {
        (PutTarget::Firehose(name), ApiError::NotFound(_)) => AppError::usage(format!(
            "delivery stream '{name}' not found (region {}); nothing was sent",
            aws.region()
        )),
        (PutTarget::Stream(stream), _) => setup_error(error, aws, Some(stream)),
        _ => setup_error(error, aws, None),
    }
}

/// Reads the input and turns it into entries: templates expanded, repeats made, a
/// partition key on each (the given one, the line's own, or a random one).
fn read_entries(args: &PutArgs, target: &PutTarget) -> Result<Vec<PutEntry>, AppError> {
    let mut text = String::new();
    let read = match args.file.as_deref() {
        None => std::io::stdin().read_to_string(&mut text),
        Some(path) if path.as_os_str() == "-" => std::io::stdin().read_to_string(&mut text),
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)),
    };
    read.map_err(|e| AppError::usage(format!("cannot read the input: {e}")))?;
    let format = match args.format {
        PutFormat::Lines => InputFormat::Lines,
        PutFormat::Jsonl => InputFormat::Jsonl,
    };
    let records = input::parse(&text, format).map_err(AppError::usage)?;
    let mut entries = Vec::new();
    let mut seq = 0u64;
    for record in records {
        let template = if args.template {
            let text = String::from_utf8(record.data.clone())
                .map_err(|_| AppError::usage("a template must be text (UTF-8)"))?;
            Some(Template::parse(&text).map_err(AppError::usage)?)
        } else {
            None
        };
        for _ in 0..args.repeat {
            seq += 1;
            let data = match &template {
                Some(template) => template.expand(seq).into_bytes(),
                None => record.data.clone(),
            };
            let partition_key = match (&args.partition_key, &record.partition_key, target) {
                (Some(key), _, _) => key.clone(),
                (None, Some(key), _) => key.clone(),
                (None, None, PutTarget::Stream(_)) => input::random_partition_key(),
                (None, None, PutTarget::Firehose(_)) => String::new(),
            };
            entries.push(PutEntry {
                data,
                partition_key,
                explicit_hash_key: record.explicit_hash_key.clone(),
            });
        }
    }
    Ok(entries)
}
