//! Support for the shipping tests: the real `fly-store` binary as a child
//! process, and a bare HTTP/1.1 client over one TCP connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_fly-store");

/// Longest wait for anything a child process does; only a guard against a
/// hung test, never a measurement.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// `fly-store <args>` run in `dir`, as in the image: an empty environment
/// but for `env`, no source tree around it (pages and fonts must come from
/// the binary), and `dir` as the working directory, so the only settings
/// file it could read is `dir`'s (a developer's `fly-store.toml` cannot leak
/// in), logs at info.
pub fn fly_store(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

/// Runs `fly-store seed` on `database_url`, which migrates it first.
pub fn seed(dir: &Path, database_url: &str, purchases: usize) {
    let purchases = purchases.to_string();
    let output = fly_store(
        dir,
        &[
            "seed",
            "--purchases",
            &purchases,
            "--items-per-purchase",
            "3",
        ],
        &[("DATABASE_URL", database_url)],
    )
    .output()
    .expect("fly-store seed runs");
    assert!(
        output.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A running `fly-store serve` and the lines it has logged so far.
pub struct ServeProcess {
    pub child: Child,
    pub addr: SocketAddr,
    pub logs: Arc<Mutex<Vec<String>>>,
}

impl ServeProcess {
    /// Starts `fly-store serve --bind 127.0.0.1:<free port>` on
    /// `database_url`, with `env` added, and waits until it accepts
    /// connections. Tries another port if another process took the first.
    pub fn start(dir: &Path, database_url: &str, env: &[(&str, &str)]) -> ServeProcess {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match ServeProcess::try_start(dir, database_url, env) {
                Ok(process) => return process,
                Err(logs) if attempts < 3 && logs.iter().any(|l| l.contains("cannot listen")) => {}
                Err(logs) => panic!("serve exited early: {logs:#?}"),
            }
        }
    }

    fn try_start(
        dir: &Path,
        database_url: &str,
        env: &[(&str, &str)],
    ) -> Result<ServeProcess, Vec<String>> {
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let bind = addr.to_string();
        let mut child = fly_store(
            dir,
            &["serve", "--bind", &bind],
            &[
                ("DATABASE_URL", database_url),
                ("FLY_STORE__SERVER__WORKERS", "2"),
            ],
        )
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fly-store serve starts");

        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });

        let mut process = ServeProcess { child, addr, logs };
        process.wait_until_listening()?;
        Ok(process)
    }

    fn wait_until_listening(&mut self) -> Result<(), Vec<String>> {
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(self.addr).is_err() {
            if let Ok(Some(_)) = self.child.try_wait() {
                // The reader thread may still be copying the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return Err(self.log_lines());
            }
            assert!(Instant::now() < deadline, "serve never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Sends `signal` (`TERM`, `INT`) with `kill`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits for the process to exit; kills it and fails past [`PATIENCE`].
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child can be waited for") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not exit: {:#?}", self.log_lines());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every line logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// Index of the first logged line containing `needle`.
    pub fn log_position(&self, needle: &str) -> Option<usize> {
        self.log_lines()
            .iter()
            .position(|line| line.contains(needle))
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An HTTP answer read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 connection: requests are written, then answers read, so a
/// test decides exactly when each happens.
pub struct RawConnection {
    reader: BufReader<TcpStream>,
}

impl RawConnection {
    /// Connects to `addr`.
    pub fn open(addr: SocketAddr) -> RawConnection {
        let stream = TcpStream::connect(addr).expect("the server accepts");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        RawConnection {
            reader: BufReader::new(stream),
        }
    }

    /// Writes `GET path`; `close` asks the server to close afterwards.
    pub fn send_get(&mut self, path: &str, close: bool) {
        let connection = if close { "close" } else { "keep-alive" };
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: {connection}\r\n\r\n");
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .expect("the request is written");
    }

    /// Reads one answer with a `Content-Length` body.
    pub fn read_response(&mut self) -> RawResponse {
        let mut status_line = String::new();
        self.reader
            .read_line(&mut status_line)
            .expect("a status line");
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));

        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("a header line");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("a header is name: value");
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }

        let mut response = RawResponse {
            status,
            headers,
            body: Vec::new(),
        };
        let length: usize = response
            .header("content-length")
            .and_then(|value| value.parse().ok())
            .expect("the answer has a Content-Length");
        response.body = vec![0; length];
        self.reader
            .read_exact(&mut response.body)
            .expect("the whole body arrives");
        response
    }
}
