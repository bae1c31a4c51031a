//! The `gemba` binary as an operator runs it, for tests of whole processes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_gemba");
pub fn gemba(dir: &Path, db_url: &str) -> Command {
    let mut c = Command::new(BIN);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GEMBA_DATA_DIR", dir)
        .env("GEMBA_DATABASE_URL", db_url)
        .env("GEMBA_BIND", "127.0.0.1:0")
        .env("GEMBA_LOG", "trace,hyper=info,h2=info")
        .current_dir(dir);
    c
}

/// `gemba serve`, once it listens: the process, its base URL and its
/// console output (read to the end when it exits).
pub fn start_server(dir: &Path, db_url: &str) -> (Child, String, std::thread::JoinHandle<String>) {
    start_server_with(dir, db_url, &[])
}

/// As `start_server`, with more settings in the environment.
pub fn start_server_with(
    dir: &Path,
    db_url: &str,
    env: &[(String, String)],
) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = gemba(dir, db_url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "serve exited before listening"
        );
        if let Some(rest) = line.trim().strip_prefix("gemba listening on ") {
            break rest.to_owned();
        }
    };
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let stderr = child.stderr.take().unwrap();
    let console = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut s).unwrap();
        s
    });
    (child, addr, console)
}

pub fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful shutdown exits 0: {exit:?}");
}
