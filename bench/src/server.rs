//! The service under test: `msi-hub generate` and `msi-hub serve` as child processes, and its memory.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// A child process stopped when dropped: SIGTERM, then SIGKILL after 10 s.
pub struct ChildGuard {
    child: Child,
    what: &'static str,
}

impl ChildGuard {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status, if it has exited.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if self.exited().is_some() {
            return;
        }
        // A graceful stop first (the service drains and closes its database).
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!(
            "msi-bench: {} did not stop on SIGTERM: killing it",
            self.what
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes settings from the environment that would make the service differ from what
/// the bench expects (RS256 tokens, a required issuer or audience, a pretend clock...).
fn clean_env(cmd: &mut Command) -> &mut Command {
    for v in [
        "MSI_JWT_PUBLIC_KEY",
        "MSI_JWT_ISSUER",
        "MSI_JWT_AUDIENCE",
        "MSI_NOW",
        "MSI_DEMO",
        "MSI_LISTEN",
        "MSI_JWT_SECRET",
        "DATABASE_URL",
    ] {
        cmd.env_remove(v);
    }
    cmd
}

/// Runs `msi-hub generate`, showing its progress; returns its duration.
pub async fn generate(
    bin: &PathBuf,
    database_url: &str,
    (dealers, months): (usize, usize),
    seed: u64,
    secret: &str,
) -> anyhow::Result<Duration> {
    eprintln!("msi-bench: generating {dealers} dealers × {months} months (seed {seed})…");
    let start = Instant::now();
    let child = clean_env(&mut Command::new(bin))
        .args([
            "generate",
            "--dealers",
            &dealers.to_string(),
            "--months",
            &months.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .env("DATABASE_URL", database_url)
        // With a secret, the service does not create and keep a development one.
        .env("MSI_JWT_SECRET", secret)
        .env("MSI_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut guard = ChildGuard {
        child,
        what: "msi-hub generate",
    };
    let status = loop {
        if let Some(s) = guard.exited() {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if !status.success() {
        bail!("msi-hub generate failed: {status}");
    }
    let took = start.elapsed();
    eprintln!("msi-bench: generated in {:.1} s", took.as_secs_f64());
    Ok(took)
}

/// Starts `msi-hub serve` and waits until `/readyz` answers 200, then until its KPI cache
/// is warm; returns it and how long each took.
pub async fn start_server(
    bin: &PathBuf,
    database_url: &str,
    listen: SocketAddr,
    secret: &str,
    http: &reqwest::Client,
) -> anyhow::Result<(ChildGuard, Duration, Duration)> {
    // Make sure nothing else answers on that address (we would measure it instead).
    std::net::TcpListener::bind(listen)
        .with_context(|| format!("{listen} is in use: stop what listens there or pass --listen"))?;
    let child = clean_env(&mut Command::new(bin))
        .args(["serve", "--listen", &listen.to_string()])
        .env("DATABASE_URL", database_url)
        .env("MSI_JWT_SECRET", secret)
        .env(
            "MSI_LOG",
            std::env::var("MSI_BENCH_SERVER_LOG").unwrap_or("warn".into()),
        )
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot run {}", bin.display()))?;
    let mut guard = ChildGuard {
        child,
        what: "msi-hub serve",
    };
    let url = format!("http://{listen}/readyz");
    let start = Instant::now();
    loop {
        if let Some(s) = guard.exited() {
            bail!("msi-hub serve exited before it was ready: {s}");
        }
        if let Ok(r) = http.get(&url).timeout(Duration::from_secs(5)).send().await {
            if r.status() == 200 {
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(900) {
            bail!("msi-hub serve was not ready after 900 s (it warms its KPI cache first)");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ready = start.elapsed();
    eprintln!(
        "msi-bench: server ready in {:.1} s (pid {})",
        ready.as_secs_f64(),
        guard.pid()
    );
    // Measured once its KPI cache is warm: `/readyz` says "ready" alone then.
    loop {
        if let Ok(r) = http.get(&url).timeout(Duration::from_secs(5)).send().await {
            if r.text().await.is_ok_and(|t| t == "ready") {
                break;
            }
        }
        if start.elapsed() > Duration::from_secs(900) {
            bail!("msi-hub serve did not warm its KPI cache within 900 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "msi-bench: KPI cache warm in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok((guard, ready, start.elapsed()))
}

/// The CPU time the process has used so far (user and system, every thread), from
/// `/proc/<pid>/stat`, whose clock ticks are 1/100 s on Linux (`USER_HZ`).
pub fn cpu_time(pid: u32) -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    let (utime, stime) = (ticks(11)?, ticks(12)?);
    Some(std::time::Duration::from_millis((utime + stime) * 10))
}

/// A `Vm…:` line of `/proc/<pid>/status`, in KiB.
pub fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// The server's resident set, sampled every 100 ms while the scenarios run (`VmHWM`, read
/// at the end, is the peak since its start, cache warm-up included).
pub struct RssSampler {
    max_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let max_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (max_kib, stop) = (max_kib.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kib) = proc_status_kib(pid, "VmRSS") {
                        max_kib.fetch_max(kib, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        };
        RssSampler {
            max_kib,
            stop,
            task,
        }
    }

    /// Stops sampling; the largest sample in KiB, if any.
    pub async fn stop(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        Some(self.max_kib.load(Ordering::Relaxed)).filter(|&k| k > 0)
    }
}
