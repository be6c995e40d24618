//! `kinspect ls`: data streams and delivery streams in two readable tables.

use std::io::Write;

use super::setup_error;
use crate::aws::catalog::{self, DataStreamSummary, DeliveryStreamSummary};
use crate::aws::config::{Aws, AwsOptions};
use crate::error::AppError;

pub async fn run(aws_options: &AwsOptions) -> Result<(), AppError> {
    let aws = Aws::load(aws_options, None).await?;
    let (kinesis, firehose) = (aws.kinesis(), aws.firehose());
    let (streams, deliveries) =
        tokio::join!(catalog::data_streams(&kinesis), catalog::delivery_streams(&firehose));
    let mut out = String::new();
    // Neither service answered: that is a setup problem, not an empty account.
    if let (Err(e), Err(_)) = (&streams, &deliveries) {
        return Err(setup_error(e.clone(), &aws, None));
    }
    match &streams {
        Ok(streams) => out.push_str(&data_stream_table(streams)),
        Err(e) => eprintln!("kinspect: cannot list data streams: {e}"),
    }
    match &deliveries {
        Ok(deliveries) => {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&delivery_stream_table(deliveries));
        }
        Err(e) => eprintln!("kinspect: cannot list Firehose delivery streams: {e}"),
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(AppError::failure(format!("cannot write output: {e}")))
        }
        _ => Ok(()),
    }
}

fn data_stream_table(streams: &[DataStreamSummary]) -> String {
    let rows: Vec<Vec<String>> = streams
        .iter()
        .map(|s| match &s.details {
            Some(d) => vec![
                s.name.clone(),
                d.status.clone(),
                d.mode.clone(),
                d.open_shards.to_string(),
                format!("{}h", d.retention_hours),
            ],
            None => vec![s.name.clone(), "?".into(), "?".into(), "?".into(), "?".into()],
        })
        .collect();
    table("DATA STREAMS", &["NAME", "STATUS", "MODE", "OPEN SHARDS", "RETENTION"], &rows)
}

fn delivery_stream_table(streams: &[DeliveryStreamSummary]) -> String {
    let rows: Vec<Vec<String>> = streams
        .iter()
        .map(|s| match &s.details {
            Some(d) => vec![s.name.clone(), d.status.clone(), d.source.clone(), d.destination.clone()],
            None => vec![s.name.clone(), "?".into(), "?".into(), "?".into()],
        })
        .collect();
    table("DELIVERY STREAMS", &["NAME", "STATUS", "SOURCE", "DESTINATION"], &rows)
}

/// A title, a header and left-aligned columns two spaces apart; "(none)" when empty.
fn table(title: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(width - cell.chars().count() + 2));
            }
        }
        text.push('\n');
        text
    };
    let mut out = format!("{title}\n");
    if rows.is_empty() {
        out.push_str("(none)\n");
        return out;
    }
    out.push_str(&line(header.to_vec()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::catalog::DataStreamDetails;

    #[test]
    fn tables_align_columns() {
        let streams = vec![
            DataStreamSummary {
                name: "orders".into(),
                details: Some(DataStreamDetails {
                    status: "ACTIVE".into(),
                    mode: "PROVISIONED".into(),
                    open_shards: 4,
                    retention_hours: 24,
                }),
            },
            DataStreamSummary { name: "a-much-longer-name".into(), details: None },
        ];
        assert_eq!(
            data_stream_table(&streams),
            "DATA STREAMS\n\
             NAME                STATUS  MODE         OPEN SHARDS  RETENTION\n\
             orders              ACTIVE  PROVISIONED  4            24h\n\
             a-much-longer-name  ?       ?            ?            ?\n"
        );
        assert_eq!(delivery_stream_table(&[]), "DELIVERY STREAMS\n(none)\n");
    }
}
