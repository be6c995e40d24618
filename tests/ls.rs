//! `kinspect ls` against both emulators, each service on its own endpoint.

mod support;

use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_data_streams_and_delivery_streams() {
    let kinesis = emulators::kinesis_local();
    let moto = emulators::moto();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "clicks", 3).await;
    create_stream(&client, "orders", 1).await;
    create_delivery_stream(&moto, "to-s3", "landing").await;

    let mut ls = kinspect();
    ls.env("AWS_ENDPOINT_URL_KINESIS", &kinesis.endpoint)
        .env("AWS_ENDPOINT_URL_FIREHOSE", &moto.endpoint)
        .arg("ls");
    let output = run(ls, Duration::from_secs(60)).await;
    assert!(output.status.success(), "ls failed: {}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text,
        "DATA STREAMS\n\
         NAME    STATUS  MODE         OPEN SHARDS  RETENTION\n\
         clicks  ACTIVE  PROVISIONED  3            24h\n\
         orders  ACTIVE  PROVISIONED  1            24h\n\
         \n\
         DELIVERY STREAMS\n\
         NAME   STATUS  SOURCE     DESTINATION\n\
         to-s3  ACTIVE  DirectPut  S3\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unavailable_service_is_a_warning_not_a_failure() {
    let kinesis = emulators::kinesis_local();
    create_stream(&kinesis_client(&kinesis.endpoint), "only", 2).await;
    let closed = format!("http://127.0.0.1:{}", emulators::free_port());

    let mut ls = kinspect();
    ls.env("AWS_ENDPOINT_URL_KINESIS", &kinesis.endpoint).env("AWS_ENDPOINT_URL_FIREHOSE", &closed).arg("ls");
    let output = run(ls, Duration::from_secs(60)).await;
    assert!(output.status.success(), "ls failed: {}", stderr(&output));
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert!(text.starts_with("DATA STREAMS\n") && text.contains("only  ACTIVE  PROVISIONED  2"), "{text}");
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("kinspect: cannot list Firehose delivery streams: cannot reach the endpoint"),
        "{err}"
    );
}
