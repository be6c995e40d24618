//! The real emulators, started per test on free 127.0.0.1 ports and killed when the guard
//! drops (also when the test fails). They are installed by scripts/install-emulators.sh.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use std::io::{Read, Write};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tools_dir() -> PathBuf {
    repo_root().join(".tools")
}

fn require(path: &Path) {
    assert!(
        path.exists(),
        "{} is missing: run scripts/install-emulators.sh (or scripts/test.sh) first",
        path.display()
    );
}

/// A port nothing listens on now and that this test process has not handed out before
/// (tests run in parallel and would otherwise race for the same released port).
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().expect("local address").port();
        let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// Starts an emulator on fresh ports, trying again if another process took a port between
/// our check and the emulator's bind.
fn start_with_retries(name: &str, mut attempt: impl FnMut() -> Result<Emulator, String>) -> Emulator {
    let mut last_error = String::new();
    for _ in 0..3 {
        match attempt() {
            Ok(emulator) => return emulator,
            Err(e) => last_error = e,
        }
    }
    panic!("{name} could not start: {last_error}");
}

/// A child process killed on drop; on Linux also when the test process dies.
pub struct Emulator {
    child: Child,
    pub endpoint: String,
    pub log: PathBuf,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(mut command: Command, name: &str, port: u16, health_path: &str) -> Result<Emulator, String> {
    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{port}.log"));
    let log_file = std::fs::File::create(&log).expect("create emulator log");
    let log_err = log_file.try_clone().expect("clone log handle");
    command.stdin(Stdio::null()).stdout(log_file).stderr(log_err);
    #[cfg(target_os = "linux")]
    unsafe {
        use std::os::unix::process::CommandExt;
        command.pre_exec(|| {
            // If the test binary is killed outright, take the emulator with it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = command.spawn().map_err(|e| format!("cannot run {name}: {e}"))?;
    let mut emulator = Emulator { child, endpoint: format!("http://127.0.0.1:{port}"), log };
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if http_status(port, health_path) == Some(200) {
            return Ok(emulator);
        }
        if let Ok(Some(status)) = emulator.child.try_wait() {
            return Err(format!("{name} exited with {status}; log: {}", emulator.log.display()));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{name} was not ready on port {port} within a minute; log: {}", emulator.log.display()))
}

fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 16];
    let n = stream.read(&mut head).ok()?;
    let text = std::str::from_utf8(&head[..n]).ok()?;
    text.split_whitespace().nth(1)?.parse().ok()
}

/// kinesis-local (kinesis-mock), pinned by the install script.
pub fn kinesis_local() -> Emulator {
    kinesis_local_with(&[])
}

/// kinesis-local with some settings changed, e.g. `REGISTER_STREAM_CONSUMER_DURATION`.
pub fn kinesis_local_with(settings: &[(&str, &str)]) -> Emulator {
    let package = tools_dir().join("node_modules/kinesis-local");
    require(&package.join("main.js"));
    start_with_retries("kinesis-local", || {
        let port = free_port();
        let mut command = Command::new("node");
        command
            .arg(package.join("main.js"))
            .current_dir(tools_dir())
            .env("KINESIS_MOCK_CERT_PATH", package.join("server.json"))
            .env("KINESIS_MOCK_PLAIN_PORT", port.to_string())
            .env("KINESIS_MOCK_TLS_PORT", free_port().to_string())
            .env("CREATE_STREAM_DURATION", "0ms")
            .env("DELETE_STREAM_DURATION", "0ms")
            .env("SPLIT_SHARD_DURATION", "0ms")
            .env("MERGE_SHARDS_DURATION", "0ms")
            .env("UPDATE_SHARD_COUNT_DURATION", "0ms")
            .env("REGISTER_STREAM_CONSUMER_DURATION", "0ms")
            .env("LOG_LEVEL", "WARN");
        command.envs(settings.iter().copied());
        spawn(command, "kinesis-local", port, "/healthcheck")
    })
}

/// moto's server, for Firehose (and the S3 bucket it delivers into).
pub fn moto() -> Emulator {
    let server = tools_dir().join("venv/bin/moto_server");
    require(&server);
    start_with_retries("moto", || {
        let port = free_port();
        let mut command = Command::new(&server);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        spawn(command, "moto", port, "/moto-api/")
    })
}

/// A plain HTTP/1.0 request to an emulator: returns the status and the body. moto's S3
/// wants an Authorization header on object reads but does not check the signature.
pub fn http(method: &str, endpoint: &str, path: &str) -> (u16, Vec<u8>) {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect to the emulator");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    let authorization = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\nAuthorization: {authorization}\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("send request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read response");
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").map_or(response.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, response[split..].to_vec())
}
