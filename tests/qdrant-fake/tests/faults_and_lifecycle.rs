//! Fault injection, stop/restart, the synchronous (background runtime) form and the binary.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use qdrant_client::qdrant::{QueryPointsBuilder, ScrollPointsBuilder, UpsertPointsBuilder};
use qdrant_fake::FakeQdrant;
use tonic::Code;

/// Every point of the shared collection, counted exactly.
async fn total(client: &qdrant_client::Qdrant) -> Result<u64, qdrant_client::QdrantError> {
    try_count(client, COLLECTION, None).await
}

#[tokio::test]
async fn two_injected_unavailable_reach_the_caller_and_write_nothing() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    create_collection(&client).await;
    let faults = fake.faults();

    // The client retries Unavailable once by itself: two failures in a row reach the caller.
    faults.fail_next("upsert", 2, Code::Unavailable);
    let points = docs().iter().map(point).collect::<Vec<_>>();
    let error = status(
        client
            .upsert_points(UpsertPointsBuilder::new(COLLECTION, points.clone()).wait(true))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code(), Code::Unavailable);
    assert_eq!(
        error.message(),
        "qdrant-fake: injected Unavailable on upsert call #2"
    );
    assert_eq!(fake.calls("upsert"), 2);
    assert_eq!(fake.point_count(COLLECTION), 0, "failed calls do nothing");

    // The rule is used up: the next call goes through.
    client
        .upsert_points(UpsertPointsBuilder::new(COLLECTION, points).wait(true))
        .await
        .unwrap();
    assert_eq!(fake.calls("upsert"), 3);
    assert_eq!(fake.point_count(COLLECTION), 5);
}

#[tokio::test]
async fn a_single_retryable_failure_is_absorbed_by_the_client_retry() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    fake.faults().fail_next("count", 1, Code::Internal);
    assert_eq!(total(&client).await.unwrap(), 5);
    assert_eq!(
        fake.calls("count"),
        2,
        "one failed call plus the client's retry"
    );

    // Codes the client does not retry reach the caller at once.
    fake.faults()
        .fail_next("query", 1, Code::FailedPrecondition);
    let error = status(
        client
            .query(
                QueryPointsBuilder::new(COLLECTION)
                    .query(dense(1))
                    .using("dense"),
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert_eq!(fake.calls("query"), 1);
}

#[tokio::test]
async fn fail_from_picks_later_calls_and_fail_always_lasts_until_clear() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;
    let faults = fake.faults();
    let scroll = || client.scroll(ScrollPointsBuilder::new(COLLECTION).limit(1));

    faults.fail_from("scroll", 2, 1, Code::ResourceExhausted);
    assert!(scroll().await.is_ok());
    let error = status(scroll().await.unwrap_err());
    assert_eq!(error.code(), Code::ResourceExhausted);
    assert_eq!(
        error.message(),
        "qdrant-fake: injected ResourceExhausted on scroll call #2"
    );
    assert!(scroll().await.is_ok());

    faults.fail_always("health_check", Code::PermissionDenied);
    for _ in 0..3 {
        assert_eq!(
            status(client.health_check().await.unwrap_err()).code(),
            Code::PermissionDenied
        );
    }
    faults.clear();
    assert_eq!(client.health_check().await.unwrap().title, "qdrant-fake");
    assert_eq!(fake.calls("health_check"), 4);
    assert_eq!(fake.calls("scroll"), 3);
}

#[tokio::test]
async fn delay_slows_every_call_until_removed() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;

    fake.faults().delay("count", Duration::from_millis(600));
    let started = Instant::now();
    assert_eq!(total(&client).await.unwrap(), 5);
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );

    fake.faults().delay("count", Duration::ZERO);
    let started = Instant::now();
    assert_eq!(total(&client).await.unwrap(), 5);
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn unimplemented_rpcs_say_so_and_are_counted() {
    let fake = FakeQdrant::start().await.unwrap();
    let client = client(&fake.url());
    seed(&client).await;
    let error = status(
        client
            .overwrite_payload(qdrant_client::qdrant::SetPayloadPointsBuilder::new(
                COLLECTION,
                qdrant_client::Payload::new(),
            ))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code(), Code::Unimplemented);
    assert_eq!(
        error.message(),
        "qdrant-fake: overwrite_payload is not implemented"
    );
    assert_eq!(fake.calls("overwrite_payload"), 1);
}

#[tokio::test]
async fn stop_refuses_connections_and_restart_keeps_the_data() {
    let mut fake = FakeQdrant::start().await.unwrap();
    let url = fake.url();
    let client = client(&url);
    seed(&client).await;
    let counted = fake.calls("count");

    fake.stop().await;
    assert!(!fake.is_running());
    let error = total(&client).await.unwrap_err();
    // qdrant-client 1.20 connects eagerly and reports a refused connection as
    // Internal "Failed to connect to ...", not Unavailable.
    let error = status(error);
    assert_eq!(error.code(), Code::Internal, "{error:?}");
    assert!(
        error.message().starts_with("Failed to connect to"),
        "{error:?}"
    );
    assert_eq!(fake.calls("count"), counted, "nothing reached the server");
    assert_eq!(fake.point_count(COLLECTION), 5);

    fake.restart().await.unwrap();
    assert_eq!(fake.url(), url, "same port");
    assert_eq!(total(&client).await.unwrap(), 5, "same client, same data");
}

#[test]
fn background_runtime_serves_synchronous_tests() {
    let mut fake = FakeQdrant::start_in_background().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = runtime.block_on(async { client(&fake.url()) });
    runtime.block_on(seed(&client));
    assert_eq!(fake.point_count(COLLECTION), 5);

    fake.stop_blocking();
    assert!(runtime.block_on(total(&client)).is_err());

    fake.restart_blocking().unwrap();
    assert_eq!(runtime.block_on(total(&client)).unwrap(), 5);
    assert_eq!(fake.calls("upsert"), 1);
}

#[test]
fn binary_prints_one_line_and_exits_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qdrant-fake"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime
        .block_on(async { client(&url).health_check().await })
        .unwrap();
    assert_eq!(reply.title, "qdrant-fake");

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "qdrant-fake did not exit after stdin EOF"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}
