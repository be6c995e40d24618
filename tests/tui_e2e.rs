//! The real binary in a real terminal (tmux) against kinesis-local: records appear, a known
//! payload is found with `/`, `x` shows its hex bytes, `q` exits 0 and the terminal is
//! usable afterwards.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use support::*;

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Self {
        Tmux { socket: format!("kinspect-e2e-{}", std::process::id()) }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_a_record_see_its_bytes_and_quit_cleanly() {
    let kinesis = emulators::kinesis_local();
    let client = kinesis_client(&kinesis.endpoint);
    create_stream(&client, "e2e", 2).await;
    let mut records = numbered("noise", 60);
    records.insert(37, ("key-needle".into(), "needle-42 is here".into()));
    put(&client, "e2e", &records).await;

    let exit_file =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-exit-{}", std::process::id()));
    let _ = std::fs::remove_file(&exit_file);
    let command = format!(
        "env -i PATH=/usr/bin:/bin HOME=/tmp TERM=xterm-256color AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
         AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/nonexistent \
         {bin} --endpoint-url {endpoint} e2e --from trim-horizon; echo $? > {exit}; exec sh",
        bin = env!("CARGO_BIN_EXE_kinspect"),
        endpoint = kinesis.endpoint,
        exit = exit_file.display(),
    );
    let tmux = Tmux::new();
    tmux.run(&["new-session", "-d", "-s", "e2e", "-x", "160", "-y", "45", "sh", "-c", &command]);

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
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&exit_file) {
            if !text.trim().is_empty() {
                break text.trim().to_string();
            }
        }
        assert!(Instant::now() < deadline, "kinspect did not exit; screen:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status, "0");
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"]).trim(),
        "0",
        "left the alternate screen"
    );
    // A line typed now only runs if the terminal is back in cooked mode.
    tmux.keys(&["echo still-$((40+2))", "Enter"]);
    tmux.wait_for("still-42", Duration::from_secs(5));
}
