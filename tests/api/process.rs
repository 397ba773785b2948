//! A relgate process: the real binary, `relgate serve` on a free port of
//! loopback, its log (stdout and stderr) kept in a file. For what only a
//! process shows: SIGKILL and SIGTERM, two processes over one SQLite file,
//! the log lines, OpenTelemetry export.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The running process; killed (SIGKILL) on drop, its log file removed.
pub struct Process {
    pub child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Process {
    /// Starts `relgate serve` over `database_url` with `args`, logging at
    /// `info`, and waits for the line that announces its address.
    pub fn start(database_url: &str, args: &[&str]) -> Self {
        Self::start_with(database_url, args, &[])
    }

    /// As [`Process::start`], with environment variables set (`RUST_LOG`
    /// among them, say; the filter must let the `relgate listening on`
    /// line through).
    pub fn start_with(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let log =
            std::env::temp_dir().join(format!("relgate-log-{}.txt", uuid::Uuid::new_v4().simple()));
        let file = std::fs::File::create(&log).expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_relgate"))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log file"))
            .stderr(file)
            .spawn()
            .expect("start relgate serve");
        let mut process = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            log,
        };
        let started = Instant::now();
        loop {
            let text = process.log();
            if let Some(rest) = text.split("relgate listening on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or_default();
                process.addr = addr.parse().expect("an address");
                return process;
            }
            let tail = &text[text.len().saturating_sub(3000)..];
            assert!(
                process.child.try_wait().expect("wait").is_none(),
                "relgate exited: {tail}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no address announced: {tail}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the process has logged so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        let _ = std::fs::File::open(&self.log).and_then(|mut f| f.read_to_string(&mut text));
        text
    }

    /// Sends SIGTERM (with `kill`, as a supervisor would).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn exited(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait().expect("wait for relgate") {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
