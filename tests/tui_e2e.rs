//! The real binary in a real terminal (tmux) against kinesis-local: records appear, a known
//! payload is found with `/`, `x` shows its hex bytes, `q` exits 0 and the terminal is
//! usable afterwards; with `--efo`, quitting asks about the consumer and deregisters it.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server of its own per test (tests run in parallel), with one session "e2e" running
    /// `command` in a 160×45 terminal.
    fn start(test: &str, command: &str) -> Self {
        let tmux = Tmux { socket: format!("kinspect-e2e-{}-{test}", std::process::id()) };
        tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "160", "-y", "45", "sh", "-c", command]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out =
            Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux is installed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// Waits for the command started by [`kinspect_in_shell`] to exit; returns its status.
    fn wait_exit(&self, exit_file: &Path) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(text) = std::fs::read_to_string(exit_file) {
                if !text.trim().is_empty() {
                    return text.trim().to_string();
                }
            }
            assert!(Instant::now() < deadline, "kinspect did not exit; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Waits until the screen shows `text`, failing with the screen after `limit`.
    fn wait_for(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "{text:?} did not appear; screen:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

/// A shell line that runs kinspect with a clean AWS environment, writes its exit status to
/// the returned file, and leaves a shell behind to type into.
fn kinspect_in_shell(test: &str, args: &str) -> (String, PathBuf) {
    let exit_file =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-exit-{}-{test}", std::process::id()));
    let _ = std::fs::remove_file(&exit_file);
    let command = format!(
        "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm-256color AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
         AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent \
         {bin} {args}; echo $? > {exit}; exec sh",
        bin = env!("CARGO_BIN_EXE_kinspect"),
        exit = exit_file.display(),
    );
    (command, exit_file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_a_record_see_its_bytes_and_quit_cleanly() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "e2e", 2).await;
    let mut records = numbered("noise", 60);
    records.insert(37, ("key-needle".into(), "needle-42 is here".into()));
    put(&client, "e2e", &records).await;

    let args = format!("--endpoint-url {} e2e --from trim-horizon", kinesis.endpoint);
    let (command, exit_file) = kinspect_in_shell("find", &args);
    let tmux = Tmux::start("find", &command);

    tmux.wait_for("Records 61", Duration::from_secs(30));
    tmux.keys(&["/"]);
    tmux.keys(&["-l", "needle-4[0-9]"]);
    tmux.keys(&["Enter"]);
    let filtered = tmux.wait_for("Records 1 ", Duration::from_secs(5));
    assert!(filtered.contains("needle-42 is here"), "{filtered}");
    assert!(filtered.contains("key-needle"), "{filtered}");

    tmux.keys(&["x", "x"]);
    let hex = tmux.wait_for("Record · hex", Duration::from_secs(5));
    // "needle-42 is here" = 6e 65 65 64 6c 65 2d 34 32 20 69 73 20 68 65 72 65
    assert!(hex.contains("6e 65 65 64 6c 65 2d 34  32 20 69 73 20 68 65 72"), "{hex}");

    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(&exit_file), "0");
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"]).trim(),
        "0",
        "left the alternate screen"
    );
    // A line typed now only runs if the terminal is back in cooked mode.
    tmux.keys(&["echo still-$((40+2))", "Enter"]);
    tmux.wait_for("still-42", Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_shows_its_consumer_and_asks_before_deregistering_it() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "pushed", 2).await;
    put(&client, "pushed", &numbered("pushed", 25)).await;

    let args =
        format!("--endpoint-url {} pushed --efo --consumer e2e-viewer --from trim-horizon", kinesis.endpoint);
    let (command, exit_file) = kinspect_in_shell("efo", &args);
    let tmux = Tmux::start("efo", &command);

    let screen = tmux.wait_for("Records 25", Duration::from_secs(30));
    assert!(screen.contains("fan-out from trim-horizon"), "{screen}");
    assert!(
        screen.contains(
            "consumer e2e-viewer · arn:aws:kinesis:us-east-1:000000000000:stream/pushed/consumer/e2e-viewer"
        ),
        "{screen}"
    );
    assert!(screen.contains("sub") && screen.contains("ren"), "{screen}");
    assert!(screen.contains("SubscribeToShard"), "{screen}");

    // Esc keeps the inspector open; y deregisters and quits.
    tmux.keys(&["q"]);
    tmux.wait_for("Deregister fan-out consumer e2e-viewer?", Duration::from_secs(5));
    tmux.keys(&["Escape"]);
    let stayed = tmux.wait_for("Records 25", Duration::from_secs(5));
    assert!(!stayed.contains("Deregister fan-out consumer"), "{stayed}");
    tmux.keys(&["q"]);
    tmux.wait_for("Deregister fan-out consumer e2e-viewer?", Duration::from_secs(5));
    tmux.keys(&["y"]);
    assert_eq!(tmux.wait_exit(&exit_file), "0");
    tmux.wait_for("kinspect: deregistered fan-out consumer 'e2e-viewer'", Duration::from_secs(5));
    let statuses: Vec<String> = consumers(&client, "pushed").await.into_iter().map(|(_, s)| s).collect();
    assert!(statuses.iter().all(|s| s == "DELETING"), "{statuses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_answers_while_a_consumer_is_being_registered() {
    let kinesis = emulators::kinesis_local_with(&[("REGISTER_STREAM_CONSUMER_DURATION", "120s")]);
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "slow", 1).await;

    let args = format!("--endpoint-url {} slow --efo --from trim-horizon", kinesis.endpoint);
    let (command, exit_file) = kinspect_in_shell("slow", &args);
    let tmux = Tmux::start("slow", &command);
    tmux.wait_for("waiting until it is ACTIVE", Duration::from_secs(30));
    let asked = Instant::now();
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_exit(&exit_file), "0");
    assert!(asked.elapsed() < Duration::from_secs(5), "q took {:?}", asked.elapsed());
    tmux.keys(&["echo back-$((40+2))", "Enter"]);
    tmux.wait_for("back-42", Duration::from_secs(5));
}
